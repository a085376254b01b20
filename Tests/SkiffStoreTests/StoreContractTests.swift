import Foundation
import SkiffStore
import Testing

/// The Store contract, run against every backend: SQLite in a temp file and a real etcd-server.
@Suite struct StoreContractTests {
    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test(arguments: BackendKind.allCases) func createAssignsIncreasingRevisionsAndGetReturnsThem(_ kind: BackendKind) async throws {
        let backend = try TestBackend(kind)
        let store = backend.store
        let first = try await store.create("/registry/pods/default/a", value: bytes("a1"))
        let second = try await store.create("/registry/pods/default/b", value: bytes("b1"))
        #expect(second == first + 1)
        let value = try #require(try await store.get("/registry/pods/default/a"))
        #expect(value.value == bytes("a1"))
        #expect(value.modRevision == first)
        #expect(value.createRevision == first)
        #expect(try await store.currentRevision() == second)
    }

    @Test(arguments: BackendKind.allCases) func createOfExistingKeyFailsWithKeyExists(_ kind: BackendKind) async throws {
        let backend = try TestBackend(kind)
        let store = backend.store
        _ = try await store.create("/k", value: bytes("1"))
        await #expect(throws: StoreError.keyExists) { try await store.create("/k", value: self.bytes("2")) }
    }

    @Test(arguments: BackendKind.allCases) func updateWithStaleRevisionIsAConflictAndChangesNothing(_ kind: BackendKind) async throws {
        let backend = try TestBackend(kind)
        let store = backend.store
        let created = try await store.create("/k", value: bytes("1"))
        let updated = try await store.update("/k", value: bytes("2"), expectedRevision: created)
        await #expect(throws: StoreError.conflict(current: updated)) {
            try await store.update("/k", value: self.bytes("3"), expectedRevision: created)
        }
        let current = try #require(try await store.get("/k"))
        #expect(current.value == bytes("2"))
        #expect(current.modRevision == updated)
        #expect(current.createRevision == created)
    }

    @Test(arguments: BackendKind.allCases) func deleteRemovesKeyAndAllowsRecreation(_ kind: BackendKind) async throws {
        let backend = try TestBackend(kind)
        let store = backend.store
        let created = try await store.create("/k", value: bytes("1"))
        await #expect(throws: StoreError.conflict(current: created)) { try await store.delete("/k", expectedRevision: created + 99) }
        _ = try await store.delete("/k", expectedRevision: created)
        #expect(try await store.get("/k") == nil)
        await #expect(throws: StoreError.notFound) { try await store.delete("/k", expectedRevision: nil) }
        let again = try await store.create("/k", value: bytes("2"))
        #expect(try await store.get("/k")?.createRevision == again)
    }

    @Test(arguments: BackendKind.allCases) func listReturnsOnlyPrefixInKeyOrderWithPagesAtOneRevision(_ kind: BackendKind) async throws {
        let backend = try TestBackend(kind)
        let store = backend.store
        for name in ["c", "a", "b", "d"] { _ = try await store.create("/registry/pods/ns/\(name)", value: bytes(name)) }
        _ = try await store.create("/registry/pods/other/x", value: bytes("x"))
        _ = try await store.create("/registry/podsx/ns/y", value: bytes("y"))
        let page1 = try await store.list(prefix: "/registry/pods/ns/", startAfter: nil, limit: 2, revision: nil)
        #expect(page1.items.map(\.key) == ["/registry/pods/ns/a", "/registry/pods/ns/b"])
        #expect(page1.hasMore)
        // A write between pages must not show up in the second page, read at the first page's revision.
        _ = try await store.create("/registry/pods/ns/bb", value: bytes("bb"))
        let page2 = try await store.list(prefix: "/registry/pods/ns/", startAfter: page1.items.last?.key, limit: 2, revision: page1.revision)
        #expect(page2.items.map(\.key) == ["/registry/pods/ns/c", "/registry/pods/ns/d"])
        #expect(!page2.hasMore)
        let all = try await store.list(prefix: "/registry/pods/", startAfter: nil, limit: nil, revision: nil)
        #expect(all.items.count == 6)
    }

    @Test(arguments: BackendKind.allCases) func watchReplaysHistoryAfterRevisionThenDeliversLiveEventsInOrder(_ kind: BackendKind) async throws {
        let backend = try TestBackend(kind)
        let store = backend.store
        let r1 = try await store.create("/w/a", value: bytes("1"))
        let r2 = try await store.update("/w/a", value: bytes("2"), expectedRevision: r1)
        _ = try await store.create("/other/z", value: bytes("z"))
        let stream = try await store.watch(prefix: "/w/", afterRevision: r1)
        let r4 = try await store.delete("/w/a", expectedRevision: r2)
        var iterator = stream.makeAsyncIterator()
        let replayed = try #require(await iterator.next())
        #expect(replayed.kind == .updated)
        #expect(replayed.revision == r2)
        #expect(replayed.previousValue == bytes("1"))
        let live = try #require(await iterator.next())
        #expect(live.kind == .deleted)
        #expect(live.revision == r4)
        #expect(live.value == bytes("2"))
    }

    @Test(arguments: BackendKind.allCases) func compactionDropsOldHistoryAndOldWatchesGetCompacted(_ kind: BackendKind) async throws {
        let backend = try TestBackend(kind)
        let store = backend.store
        var revision = try await store.create("/c/k", value: bytes("0"))
        let first = revision
        for index in 1...20 { revision = try await store.update("/c/k", value: bytes("\(index)"), expectedRevision: revision) }
        _ = try await store.create("/c/gone", value: bytes("g"))
        _ = try await store.delete("/c/gone", expectedRevision: nil)
        try await store.compact(keepingRecent: 5)
        await #expect(throws: StoreError.self) { try await store.watch(prefix: "/c/", afterRevision: first) }
        await #expect(throws: StoreError.self) { try await store.list(prefix: "/c/", startAfter: nil, limit: nil, revision: first) }
        let current = try await store.list(prefix: "/c/", startAfter: nil, limit: nil, revision: nil)
        #expect(current.items.map(\.key) == ["/c/k"])
        #expect(current.items.first?.value == bytes("20"))
        let recent = try await store.watch(prefix: "/c/", afterRevision: try await store.currentRevision() - 2)
        var iterator = recent.makeAsyncIterator()
        #expect(await iterator.next()?.key == "/c/gone")
    }
}

/// Behaviour only the SQLite file has.
@Suite struct SQLiteStoreTests {
    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func reopeningTheFileKeepsDataRevisionAndCompaction() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/state.db"
        var revision: Int64 = 0
        do {
            let store: any Store = try SQLiteStore(path: path)
            revision = try await store.create("/r/a", value: bytes("a"))
            revision = try await store.update("/r/a", value: bytes("a2"), expectedRevision: revision)
            for index in 0..<10 { revision = try await store.create("/r/n\(index)", value: bytes("n")) }
            try await store.compact(keepingRecent: 3)
        }
        let reopened: any Store = try SQLiteStore(path: path)
        #expect(try await reopened.currentRevision() == revision)
        #expect(try await reopened.get("/r/a")?.value == bytes("a2"))
        let next = try await reopened.create("/r/b", value: bytes("b"))
        #expect(next == revision + 1)
        await #expect(throws: StoreError.self) { try await reopened.watch(prefix: "/r/", afterRevision: 1) }
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
    }
}
