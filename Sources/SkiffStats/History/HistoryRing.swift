/// A fixed-capacity ring of points on a time grid: the point for interval `index`
/// (seconds / step) goes after the newest, intervals skipped in between become `.missing`,
/// and once full the oldest is overwritten. The storage is reserved at its capacity on first
/// use and never grows past it.
public struct HistoryRing: Sendable, Equatable {
    public let capacity: Int
    /// Seconds per point.
    public let step: Int64
    private var storage: [HistoryPoint] = []
    /// Where the oldest point is once the ring is full.
    private var head = 0
    /// The interval of the newest point.
    public private(set) var newestIndex: Int64?

    public init(capacity: Int, step: Int64) {
        precondition(capacity > 0 && step > 0)
        (self.capacity, self.step) = (capacity, step)
    }

    public var count: Int { storage.count }

    /// The interval of the oldest point.
    public var oldestIndex: Int64? { newestIndex.map { $0 - Int64(storage.count) + 1 } }

    /// Oldest first.
    public var points: [HistoryPoint] {
        storage.count < capacity ? storage : Array(storage[head...] + storage[..<head])
    }

    /// Stores `point` as interval `index`'s. The same interval again replaces it; an interval
    /// older than the newest (a clock stepped back) is dropped.
    public mutating func put(_ point: HistoryPoint, at index: Int64) {
        guard let newest = newestIndex else {
            storage.reserveCapacity(capacity)
            append(point)
            newestIndex = index
            return
        }
        if index < newest { return }
        if index == newest {
            storage[storage.count < capacity ? storage.count - 1 : (head + capacity - 1) % capacity] = point
            return
        }
        let gap = min(index - newest - 1, Int64(capacity))
        for _ in 0..<gap { append(.missing) }
        append(point)
        newestIndex = index
    }

    private mutating func append(_ point: HistoryPoint) {
        if storage.count < capacity {
            storage.append(point)
        } else {
            storage[head] = point
            head = (head + 1) % capacity
        }
    }
}
