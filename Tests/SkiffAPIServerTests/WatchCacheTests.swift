import Foundation
import SkiffAPI
import SkiffStore
import Synchronization
import Testing

@testable import SkiffAPIServer

/// A store that counts the watches opened on it, by prefix: what the watch cache saves.
final class CountingStore: Store {
    let base: SQLiteStore
    private let watches = Mutex<[String: Int]>([:])

    init(_ base: SQLiteStore) { self.base = base }

    func watchCount(_ prefix: String) -> Int { watches.withLock { $0[prefix] ?? 0 } }

    func get(_ key: String) async throws(StoreError) -> KeyValue? { try base.get(key) }
    func list(prefix: String, startAfter: String?, limit: Int?, revision: Int64?) async throws(StoreError) -> ListResult {
        try base.list(prefix: prefix, startAfter: startAfter, limit: limit, revision: revision)
    }
    func create(_ key: String, value: [UInt8]) async throws(StoreError) -> Int64 { try await base.create(key, value: value) }
    func update(_ key: String, value: [UInt8], expectedRevision: Int64) async throws(StoreError) -> Int64 {
        try await base.update(key, value: value, expectedRevision: expectedRevision)
    }
    func delete(_ key: String, expectedRevision: Int64?) async throws(StoreError) -> Int64 {
        try await base.delete(key, expectedRevision: expectedRevision)
    }
    func watch(prefix: String, afterRevision: Int64) async throws(StoreError) -> AsyncStream<StoreEvent> {
        watches.withLock { $0[prefix, default: 0] += 1 }
        return try base.watch(prefix: prefix, afterRevision: afterRevision)
    }
    func currentRevision() async throws(StoreError) -> Int64 { try base.currentRevision() }
    func compact(keepingRecent keep: Int64) async throws(StoreError) { try base.compact(keepingRecent: keep) }
}

/// A `KubeAPI` over a counting SQLite store with its watch cache running.
final class CachedTestAPI: Sendable {
    let directory: String
    let store: CountingStore
    let api: KubeAPI
    let following: Task<Void, Never>
    static let pods = "/registry/core/pods/"

    init(limits: WatchCache.Limits = WatchCache.Limits()) async throws {
        directory = NSTemporaryDirectory() + "skiff-watch-cache-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let store = CountingStore(try SQLiteStore(path: directory + "/state.db"))
        self.store = store
        var api = KubeAPI(store: store, authenticator: Authenticator(adminToken: TestAPI.adminToken, joinToken: TestAPI.joinToken))
        api.bookmarkInterval = .milliseconds(200)
        api.watchCache = WatchCache(limits: limits)
        self.api = api
        try await api.bootstrap()
        let cache = api.watchCache
        following = Task { await cache.run(store: store, logger: api.logger) }
        while !cache.isRunning { try await Task.sleep(for: .milliseconds(5)) }
    }

    deinit {
        following.cancel()
        store.base.closeWatches()
        try? FileManager.default.removeItem(atPath: directory)
    }

    func call(_ method: String, _ path: String, _ body: JSON? = nil) async -> (status: Int, body: JSON) {
        let response = await api.handle(
            APIRequest(
                method: method, path: path, headers: ["authorization": "Bearer \(TestAPI.adminToken)", "content-type": "application/json"],
                body: body?.bytes ?? []))
        return (response.status, (try? JSON(parsing: response.bodyBytes)) ?? .null)
    }

    /// Creates a pod and returns its resourceVersion.
    @discardableResult
    func createPod(_ name: String, namespace: String = "default", labels: [String: String] = [:]) async throws -> Int64 {
        let created = await call("POST", "/api/v1/namespaces/\(namespace)/pods", TestAPI.pod(name, labels: labels))
        #expect(created.status == 201, "\(created.body)")
        return try #require(created.body["metadata"]["resourceVersion"].string.flatMap(Int64.init))
    }

    /// A watch's events as (type, name or bookmark resourceVersion), collected until `count`.
    func watch(_ path: String, query: [String: String], count: Int, timeout: Duration = .seconds(10)) async -> [String] {
        await watchEvents(path, query: query, count: count, timeout: timeout).map { event in
            event["type"] == "BOOKMARK" || event["type"] == "ERROR"
                ? "\(event["type"].string ?? "") \(event["object"]["metadata"]["resourceVersion"].string ?? event["object"]["message"].string ?? "")"
                : "\(event["type"].string ?? "") \(event["object"]["metadata"]["name"].string ?? "")"
        }
    }

    func watchEvents(_ path: String, query: [String: String], count: Int, timeout: Duration = .seconds(10)) async -> [JSON] {
        var fullQuery = query
        fullQuery["watch"] = "true"
        let response = await api.handle(APIRequest(method: "GET", path: path, query: fullQuery, headers: ["authorization": "Bearer \(TestAPI.adminToken)"]))
        guard case .stream(let produce) = response.body else {
            return response.bodyBytes.split(separator: UInt8(ascii: "\n")).compactMap { try? JSON(parsing: Array($0)) }
        }
        let events = TestAPI.Collected()
        struct Enough: Error {}
        try? await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await produce(
                    StreamWriter { bytes in
                        let lines = bytes.split(separator: UInt8(ascii: "\n")).compactMap { try? JSON(parsing: Array($0)) }
                        if events.lines.withLock({
                            $0 += lines
                            return $0.count
                        }) >= count {
                            throw Enough()
                        }
                    })
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw Enough()
            }
            _ = try await group.next()
            group.cancelAll()
        }
        return events.lines.withLock { $0 }
    }

    func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }
}

/// A value tasks of a test share.
final class Locked<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    func withLock<Result>(_ body: (inout Value) -> Result) -> Result { value.withLock { body(&$0) } }
}

@Suite struct WatchCacheTests {
    @Test("N clients watching pods, namespaced or not, share one store watch and each get the event")
    func fanOutSharesOneStoreWatch() async throws {
        let api = try await CachedTestAPI()
        let revision = try await api.createPod("before")
        let results = Locked<[[String]]>([])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                group.addTask {
                    let path = index.isMultiple(of: 2) ? "/api/v1/pods" : "/api/v1/namespaces/default/pods"
                    let events = await api.watch(path, query: ["resourceVersion": String(revision)], count: 1)
                    results.withLock { $0.append(events) }
                }
            }
            #expect(try await api.eventually { api.api.watchCache.subscriberCount(resourcePrefix: CachedTestAPI.pods) == 40 })
            try await api.createPod("shared")
            try await group.waitForAll()
        }
        #expect(results.withLock { $0 } == Array(repeating: ["ADDED shared"], count: 40))
        #expect(api.store.watchCount(CachedTestAPI.pods) == 1)
        #expect(api.store.watchCount("/registry/core/pods/default/") == 0)
        #expect(api.api.watchCache.storeWatchesOpened == 1)
    }

    @Test("a watch from a revision the cache holds replays the events after it without another store watch")
    func resumeFromACachedRevision() async throws {
        let api = try await CachedTestAPI()
        let first = try await api.createPod("first")
        // The cache opens with the first watch; the next writes come to it live.
        #expect(await api.watch("/api/v1/pods", query: ["resourceVersion": String(first), "timeoutSeconds": "1"], count: 1, timeout: .seconds(3)).isEmpty)
        try await api.createPod("second")
        #expect(await api.call("DELETE", "/api/v1/namespaces/default/pods/first").status == 200)
        let events = await api.watch("/api/v1/namespaces/default/pods", query: ["resourceVersion": String(first)], count: 2)
        #expect(events == ["ADDED second", "DELETED first"])
        #expect(api.store.watchCount(CachedTestAPI.pods) == 1)
    }

    @Test("a watch from a revision older than the cache's history gets 410 too old resource version")
    func tooOldRevisionIsGone() async throws {
        let api = try await CachedTestAPI(limits: WatchCache.Limits(history: 2, backlog: 16))
        #expect(await api.watch("/api/v1/pods", query: ["timeoutSeconds": "1"], count: 100, timeout: .seconds(3)).count == 0)
        let first = try await api.createPod("a")
        var last = first
        for name in ["b", "c", "d"] { last = try await api.createPod(name) }
        // The cache hears of the writes a moment after they commit.
        #expect(try await api.eventually { api.api.watchCache.latestRevision(resourcePrefix: CachedTestAPI.pods) == last })
        let events = await api.watchEvents("/api/v1/pods", query: ["resourceVersion": String(first)], count: 1)
        #expect(events.count == 1)
        #expect(events.first?["type"] == "ERROR")
        #expect(events.first?["object"]["code"] == 410)
        #expect(events.first?["object"]["reason"] == "Expired")
        #expect(events.first?["object"]["message"].string?.hasPrefix("too old resource version: \(first)") == true)
        // The last two are still held: a watch from the third's predecessor is served.
        let recent = await api.watch("/api/v1/pods", query: ["resourceVersion": String(first + 2)], count: 1)
        #expect(recent == ["ADDED d"])
    }

    @Test("a client that falls a backlog behind is closed; the others keep getting every event")
    func slowClientIsEvicted() async throws {
        let api = try await CachedTestAPI(limits: WatchCache.Limits(history: 64, backlog: 3))
        let cache = api.api.watchCache
        let revision = try await api.store.currentRevision()
        let slow = try #require(try await cache.subscribe(resourcePrefix: CachedTestAPI.pods, keyPrefix: CachedTestAPI.pods, after: revision))
        let fast = try #require(try await cache.subscribe(resourcePrefix: CachedTestAPI.pods, keyPrefix: CachedTestAPI.pods, after: revision))
        var received: [String] = []
        for index in 0..<6 {
            try await api.createPod("pod-\(index)")
            if case .event(let event) = await fast.next() { received.append(event.key) }
        }
        #expect(received == (0..<6).map { "/registry/core/pods/default/pod-\($0)" })
        #expect(slow.ending == .evicted)
        #expect(await slow.next() == nil, "an evicted client gets nothing more, not even its queued events")
        #expect(fast.ending == nil)
        #expect(cache.subscriberCount(resourcePrefix: CachedTestAPI.pods) == 1)
    }

    @Test("each client's namespace, label and field selectors filter the shared stream")
    func filtersPerClient() async throws {
        let api = try await CachedTestAPI()
        #expect(await api.call("POST", "/api/v1/namespaces", ["metadata": ["name": "team"]]).status == 201)
        let revision = try await api.store.currentRevision()
        let watches = [
            ("/api/v1/pods", [String: String](), 3),
            ("/api/v1/namespaces/team/pods", [:], 2),
            ("/api/v1/pods", ["labelSelector": "app=web"], 2),
            ("/api/v1/namespaces/default/pods", ["fieldSelector": "metadata.name=db"], 1),
        ]
        let results = Locked<[Int: [String]]>([:])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, (path, query, count)) in watches.enumerated() {
                group.addTask {
                    var query = query
                    query["resourceVersion"] = String(revision)
                    let events = await api.watch(path, query: query, count: count, timeout: .seconds(5))
                    results.withLock { $0[index] = events }
                }
            }
            #expect(try await api.eventually { api.api.watchCache.subscriberCount(resourcePrefix: CachedTestAPI.pods) == 4 })
            try await api.createPod("db")
            try await api.createPod("web", namespace: "team", labels: ["app": "web"])
            try await api.createPod("cache", namespace: "team", labels: ["app": "web"])
            try await group.waitForAll()
        }
        let seen = results.withLock { $0 }
        #expect(seen[0] == ["ADDED db", "ADDED web", "ADDED cache"])
        #expect(seen[1] == ["ADDED web", "ADDED cache"])
        #expect(seen[2] == ["ADDED web", "ADDED cache"])
        #expect(seen[3] == ["ADDED db"])
        #expect(api.store.watchCount(CachedTestAPI.pods) == 1)
    }

    @Test("bookmarks from the cache carry the newest revision seen, including other namespaces' events")
    func bookmarksCarryTheCachesRevision() async throws {
        let api = try await CachedTestAPI()
        #expect(await api.call("POST", "/api/v1/namespaces", ["metadata": ["name": "team"]]).status == 201)
        let revision = try await api.store.currentRevision()
        let events = Locked<[String]>([])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                let seen = await api.watch(
                    "/api/v1/namespaces/default/pods", query: ["resourceVersion": String(revision), "allowWatchBookmarks": "true"], count: 8)
                events.withLock { $0 = seen }
            }
            #expect(try await api.eventually { api.api.watchCache.subscriberCount(resourcePrefix: CachedTestAPI.pods) == 1 })
            try await api.createPod("mine")
            let other = try await api.createPod("theirs", namespace: "team")
            try await group.waitForAll()
            let seen = events.withLock { $0 }
            // A bookmark may come before the first create too; the other namespace's pod never does.
            #expect(seen.filter { !$0.hasPrefix("BOOKMARK ") } == ["ADDED mine"], "\(seen)")
            let bookmarked = seen.compactMap { $0.hasPrefix("BOOKMARK ") ? Int64($0.dropFirst("BOOKMARK ".count)) : nil }
            #expect(bookmarked == bookmarked.sorted(), "bookmarks never go back: \(seen)")
            #expect(seen.last == "BOOKMARK \(other)", "\(seen)")
        }
    }

    @Test("an event's line is serialized once for every watcher it goes to, per revision and type")
    func eventLinesAreSharedByRevisionAndType() {
        let encoded = EncodedWatchEvents()
        let object: JSON = ["kind": "Pod", "metadata": ["name": "a", "uid": "u1", "resourceVersion": "7"]]
        let added = encoded.line(type: "ADDED", object: object)
        #expect(added == KubeAPI.eventLine("ADDED", object))
        var changed = object
        changed["spec"] = ["nodeName": "n"]
        // Same revision, type and uid: the stored line, whatever the caller holds.
        #expect(encoded.line(type: "ADDED", object: changed) == added)
        #expect(encoded.line(type: "DELETED", object: object) == KubeAPI.eventLine("DELETED", object))
        var other = changed
        other["metadata"]["uid"] = "u2"
        #expect(encoded.line(type: "ADDED", object: other) == KubeAPI.eventLine("ADDED", other))
    }

    @Test("without the cache service running, each watch opens its own store watch")
    func withoutTheServiceWatchesGoToTheStore() async throws {
        let api = try await CachedTestAPI()
        api.following.cancel()
        #expect(try await api.eventually { !api.api.watchCache.isRunning })
        let revision = try await api.store.currentRevision()
        async let one = api.watch("/api/v1/pods", query: ["resourceVersion": String(revision)], count: 1)
        async let two = api.watch("/api/v1/namespaces/default/pods", query: ["resourceVersion": String(revision)], count: 1)
        #expect(try await api.eventually { api.store.watchCount(CachedTestAPI.pods) == 1 && api.store.watchCount("/registry/core/pods/default/") == 1 })
        try await api.createPod("direct")
        #expect(await [one, two] == [["ADDED direct"], ["ADDED direct"]])
    }
}
