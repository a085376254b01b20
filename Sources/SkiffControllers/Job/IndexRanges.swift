/// A set of completion indexes as an Indexed Job's status spells it: sorted, disjoint ranges
/// joined by commas, "0-2,5" (`status.completedIndexes`, `status.failedIndexes`). The set is kept
/// as ranges so a Job of 100,000 completions costs a few integers, not a list of them.
public struct IndexRanges: Sendable, Equatable, CustomStringConvertible {
    /// Sorted, disjoint and not adjacent: [0...2, 5...5].
    public private(set) var ranges: [ClosedRange<Int>] = []

    public init() {}

    public init(_ indexes: some Sequence<Int>) {
        for index in indexes { insert(index) }
    }

    /// Parses "0-2,5"; indexes at or past `limit` (when given) and malformed parts are dropped, as
    /// Kubernetes ignores what it cannot read back from a status it wrote.
    public init(parsing text: String, limit: Int? = nil) {
        for part in text.split(separator: ",") {
            let bounds = part.split(separator: "-", maxSplits: 1).map { Int($0) }
            guard let first = bounds.first ?? nil, first >= 0 else { continue }
            var last = first
            if bounds.count == 2 {
                guard let end = bounds[1], end >= first else { continue }
                last = end
            }
            if let limit { last = min(last, limit - 1) }
            guard last >= first else { continue }
            insert(first...last)
        }
    }

    public var count: Int { ranges.reduce(0) { $0 + $1.count } }
    public var isEmpty: Bool { ranges.isEmpty }

    public func contains(_ index: Int) -> Bool {
        // Binary search: the ranges are sorted.
        var low = 0
        var high = ranges.count - 1
        while low <= high {
            let middle = (low + high) / 2
            if ranges[middle].contains(index) { return true }
            if index < ranges[middle].lowerBound { high = middle - 1 } else { low = middle + 1 }
        }
        return false
    }

    public mutating func insert(_ index: Int) { insert(index...index) }

    /// Adds `range`, merging it with the ranges it overlaps or touches.
    public mutating func insert(_ range: ClosedRange<Int>) {
        var merged = range
        var kept: [ClosedRange<Int>] = []
        kept.reserveCapacity(ranges.count + 1)
        var placed = false
        for existing in ranges {
            if existing.upperBound + 1 < merged.lowerBound {
                kept.append(existing)
            } else if merged.upperBound + 1 < existing.lowerBound {
                if !placed {
                    kept.append(merged)
                    placed = true
                }
                kept.append(existing)
            } else {
                merged = min(existing.lowerBound, merged.lowerBound)...max(existing.upperBound, merged.upperBound)
            }
        }
        if !placed { kept.append(merged) }
        ranges = kept
    }

    public func union(_ other: IndexRanges) -> IndexRanges {
        var result = self
        for range in other.ranges { result.insert(range) }
        return result
    }

    /// The indexes in 0..<limit that are in neither set, in order, at most `count` of them.
    public static func missing(below limit: Int, from sets: [IndexRanges], count: Int) -> [Int] {
        var result: [Int] = []
        var next = 0
        let bounds = sets.reduce(IndexRanges()) { $0.union($1) }.ranges
        for range in bounds + [limit...limit] {
            while next < min(range.lowerBound, limit) && result.count < count {
                result.append(next)
                next += 1
            }
            if result.count >= count || next >= limit { break }
            next = max(next, range.upperBound + 1)
        }
        return result
    }

    /// "0-2,5"; "" when empty.
    public var description: String {
        ranges.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: ",")
    }
}
