import SkiffAPI
import Synchronization

/// Watch event lines (`{"type":…,"object":…}\n`) as sent, by the revision of their object. Every
/// watcher of a resource is sent the same line for an event, and serializing it once per watcher
/// made a pod event cost 1,000 serializations with 1,000 watchers; a stored revision never
/// changes, so one serialization serves them all. A fixed ring, as `DecodedObjects`: a watcher
/// further behind than `capacity` revisions serializes again.
final class EncodedWatchEvents: Sendable {
    struct Slot {
        var revision: Int64 = -1
        var type = ""
        var uid = ""
        var line: [UInt8] = []
    }

    static let capacity = 4096

    private let slots = Mutex([Slot](repeating: Slot(), count: EncodedWatchEvents.capacity))

    /// The line for an event of `type` carrying `object`, serialized unless an earlier watcher did.
    func line(type: String, object: JSON) -> [UInt8] {
        guard let revision = object["metadata"]["resourceVersion"].string.flatMap(Int64.init), revision >= 0 else {
            return KubeAPI.eventLine(type, object)
        }
        // The uid tells two objects apart should one revision ever carry two (one per key).
        let uid = object["metadata"]["uid"].string ?? ""
        let index = Int(revision % Int64(Self.capacity))
        let cached = slots.withLock { slots -> [UInt8]? in
            let slot = slots[index]
            guard slot.revision == revision, slot.type == type, slot.uid == uid else { return nil }
            return slot.line
        }
        if let cached { return cached }
        let line = KubeAPI.eventLine(type, object)
        var slot = Slot(revision: revision, type: type, uid: uid, line: line)
        slots.withLock { slots in swap(&slots[index], &slot) }
        return line
    }
}
