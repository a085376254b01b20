import SkiffStore

/// The most recent store events of one resource prefix, by revision, in a fixed-size ring: what a
/// client watching from a recent resourceVersion is replayed from instead of the store. Like the
/// Kubernetes watch cache, it answers "everything after revision R" only while R is at or after
/// `floor`; an older R is too old and the client relists (410 Gone).
struct WatchEventRing {
    private var slots: [StoreEvent?]
    /// Index of the oldest event in `slots`.
    private var head = 0
    private(set) var count = 0
    /// Every event with a revision above `floor` is held (or has not happened yet).
    private(set) var floor: Int64
    /// The newest revision the ring knows of: its last event's, or `floor` when it has none.
    private(set) var latest: Int64

    init(capacity: Int, floor: Int64) {
        precondition(capacity > 0, "a watch cache ring holds at least one event")
        slots = Array(repeating: nil, count: capacity)
        self.floor = floor
        latest = floor
    }

    var capacity: Int { slots.count }

    /// Appends `event`, dropping the oldest when full (which raises `floor` to its revision).
    mutating func append(_ event: StoreEvent) {
        if count == slots.count {
            if let oldest = slots[head] { floor = oldest.revision }
            slots[head] = nil
            head = (head + 1) % slots.count
            count -= 1
        }
        slots[(head + count) % slots.count] = event
        count += 1
        latest = max(latest, event.revision)
    }

    /// The held events with revision above `revision`, oldest first; nil when `revision` is
    /// older than `floor`, so events after it may have been dropped.
    func events(after revision: Int64) -> [StoreEvent]? {
        guard revision >= floor else { return nil }
        var result: [StoreEvent] = []
        for offset in 0..<count {
            if let event = slots[(head + offset) % slots.count], event.revision > revision { result.append(event) }
        }
        return result
    }
}
