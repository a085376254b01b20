/// One stored key at one revision.
public struct KeyValue: Sendable, Equatable {
    public let key: String
    public let value: [UInt8]
    /// The revision that created this incarnation of the key.
    public let createRevision: Int64
    /// The revision of the last change: the object's `resourceVersion`.
    public let modRevision: Int64

    public init(key: String, value: [UInt8], createRevision: Int64, modRevision: Int64) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
    }
}

/// A change seen by a watch, in revision order.
public struct StoreEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case created, updated, deleted }
    public let kind: Kind
    public let key: String
    /// The new value; for deletes, the last value before deletion.
    public let value: [UInt8]
    public let previousValue: [UInt8]?
    public let revision: Int64

    public init(kind: Kind, key: String, value: [UInt8], previousValue: [UInt8]?, revision: Int64) {
        self.kind = kind
        self.key = key
        self.value = value
        self.previousValue = previousValue
        self.revision = revision
    }
}

/// One page of a list, read at a single revision.
public struct ListResult: Sendable {
    public let items: [KeyValue]
    /// The revision the page was read at; later pages pass it back to stay consistent.
    public let revision: Int64
    /// Whether keys beyond `items` exist (the caller continues after the last item's key).
    public let hasMore: Bool

    public init(items: [KeyValue], revision: Int64, hasMore: Bool) {
        self.items = items
        self.revision = revision
        self.hasMore = hasMore
    }
}

/// Failures every backend reports the same way; the API server maps them to Status codes.
public enum StoreError: Error, Sendable, Equatable {
    case keyExists
    case notFound
    /// The key's current modRevision differs from the expected one (409).
    case conflict(current: Int64)
    /// The requested revision has been compacted away (410 Gone).
    case compacted(compactRevision: Int64)
    /// The store cannot serve now (etcd without a quorum, or no member reachable): a retry may
    /// succeed later (503), and nothing was changed by this request that the caller can know of.
    case unavailable(String)
    case backend(String)
}

/// A versioned key-value store with etcd's semantics: a global revision incremented by every
/// write, compare-and-swap on a key's modRevision, and watches that replay from a revision.
public protocol Store: Sendable {
    func get(_ key: String) async throws(StoreError) -> KeyValue?
    /// Keys with `prefix`, in key order, starting after `startAfter`, read at `revision` (nil: now).
    func list(prefix: String, startAfter: String?, limit: Int?, revision: Int64?) async throws(StoreError) -> ListResult
    /// Creates the key; throws `.keyExists` if it is present. Returns the new revision.
    func create(_ key: String, value: [UInt8]) async throws(StoreError) -> Int64
    /// Replaces the key if its modRevision is `expectedRevision`. Returns the new revision.
    func update(_ key: String, value: [UInt8], expectedRevision: Int64) async throws(StoreError) -> Int64
    /// Deletes the key (if `expectedRevision` is given, only at that modRevision). Returns the revision.
    func delete(_ key: String, expectedRevision: Int64?) async throws(StoreError) -> Int64
    /// Events for keys with `prefix` and revision greater than `afterRevision`, then live events.
    /// Throws `.compacted` if history before the compaction point is asked for.
    func watch(prefix: String, afterRevision: Int64) async throws(StoreError) -> AsyncStream<StoreEvent>
    func currentRevision() async throws(StoreError) -> Int64
    /// Drops superseded history older than `currentRevision - keep`.
    func compact(keepingRecent keep: Int64) async throws(StoreError)
}

extension Store {
    /// The exclusive end of a prefix range: the prefix with its last byte incremented.
    public static func rangeEnd(ofPrefix prefix: String) -> String {
        var bytes = Array(prefix.utf8)
        while let last = bytes.last {
            if last < 0xFF {
                bytes[bytes.count - 1] = last + 1
                return String(decoding: bytes, as: UTF8.self)
            }
            bytes.removeLast()
        }
        return "\u{10FFFF}"
    }
}
