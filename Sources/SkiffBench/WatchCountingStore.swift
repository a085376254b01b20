import SkiffStore
import Synchronization

/// The bench's store (SQLite or etcd), counting the pod watches opened on it (one per watcher without the
/// watch cache, one in all with it).
final class WatchCountingStore: Store {
    let base: any Store
    private let opened = Atomic<Int>(0)

    static let pods = "/registry/core/pods/"

    init(_ base: any Store) { self.base = base }

    var podWatchesOpened: Int { opened.load(ordering: .relaxed) }

    func get(_ key: String) async throws(StoreError) -> KeyValue? { try await base.get(key) }
    func list(prefix: String, startAfter: String?, limit: Int?, revision: Int64?) async throws(StoreError) -> ListResult {
        try await base.list(prefix: prefix, startAfter: startAfter, limit: limit, revision: revision)
    }
    func create(_ key: String, value: [UInt8]) async throws(StoreError) -> Int64 { try await base.create(key, value: value) }
    func update(_ key: String, value: [UInt8], expectedRevision: Int64) async throws(StoreError) -> Int64 {
        try await base.update(key, value: value, expectedRevision: expectedRevision)
    }
    func delete(_ key: String, expectedRevision: Int64?) async throws(StoreError) -> Int64 {
        try await base.delete(key, expectedRevision: expectedRevision)
    }
    func watch(prefix: String, afterRevision: Int64) async throws(StoreError) -> AsyncStream<StoreEvent> {
        if prefix.hasPrefix(Self.pods) { opened.add(1, ordering: .relaxed) }
        return try await base.watch(prefix: prefix, afterRevision: afterRevision)
    }
    func currentRevision() async throws(StoreError) -> Int64 { try await base.currentRevision() }
    func compact(keepingRecent keep: Int64) async throws(StoreError) { try await base.compact(keepingRecent: keep) }
}
