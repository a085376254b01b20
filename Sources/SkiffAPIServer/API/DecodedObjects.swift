import SkiffAPI
import Synchronization

/// The most recently stored objects, parsed, by the revision that wrote them. Every watch of a
/// resource delivers each of its store events, and each used to parse the event's bytes itself
/// (a pod write was parsed once per pod watcher: the scheduler, the shared informer, the garbage
/// collector, every kubelet); the read-modify-write of the next update parsed it again. A stored
/// revision never changes, so one parse serves them all.
///
/// A fixed ring indexed by revision: no eviction bookkeeping, and a watcher that lags further
/// behind than `capacity` revisions simply parses again.
final class DecodedObjects: Sendable {
    struct Slot {
        var revision: Int64 = -1
        var key = ""
        var object: JSON = .null
    }

    /// Revisions kept: a burst of writes larger than this outruns the slowest watchers' reuse.
    static let capacity = 4096

    private let slots = Mutex([Slot](repeating: Slot(), count: DecodedObjects.capacity))

    /// The object `key` held at `revision` with its resourceVersion set, parsed from `bytes`
    /// unless an earlier caller already did.
    func object(key: String, revision: Int64, bytes: [UInt8]) throws -> JSON {
        let index = Int(revision % Int64(Self.capacity))
        let cached = slots.withLock { slots -> JSON? in
            guard slots[index].revision == revision, slots[index].key == key else { return JSON?.none }
            return slots[index].object
        }
        if let cached { return cached }
        // Parsed outside the lock: two watchers racing for one revision both parse, neither waits.
        var object = try JSON(parsing: bytes)
        object["metadata"]["resourceVersion"] = .string(String(revision))
        var slot = Slot(revision: revision, key: key, object: object)
        slots.withLock { slots in swap(&slots[index], &slot) }
        // `slot` now holds the object it replaced, freed here, outside the lock.
        return object
    }
}
