import Logging
import SkiffAPI
import Synchronization
import Testing

@testable import SkiffClient

/// A scripted API: each list answers the current objects; each watch plays the next script of
/// events and ends; a watch without a script blocks until cancelled.
private final class ScriptedAPI: ListWatchClient {
    struct State {
        var items: [JSON] = []
        var listVersion = "10"
        var scripts: [[WatchEvent]] = []
        var lists = 0
        var watchPaths: [String] = []
    }
    let state: Mutex<State>

    init(items: [JSON], scripts: [[WatchEvent]]) { state = Mutex(State(items: items, scripts: scripts)) }

    func list(_ path: String) async throws -> JSON {
        state.withLock { state in
            state.lists += 1
            return ["kind": "List", "metadata": ["resourceVersion": .string(state.listVersion)], "items": .array(state.items)]
        }
    }

    func watch(_ path: String, onEvent: @Sendable (WatchEvent) async throws -> Void) async throws {
        let script: [WatchEvent]? = state.withLock { state in
            state.watchPaths.append(path)
            return state.scripts.isEmpty ? nil : state.scripts.removeFirst()
        }
        guard let script else {
            try await Task.sleep(for: .seconds(3600))
            return
        }
        for event in script { try await onEvent(event) }
    }
}

private func service(_ name: String, _ version: String, namespace: String = "default", port: Int = 80) -> JSON {
    [
        "metadata": ["name": .string(name), "namespace": .string(namespace), "resourceVersion": .string(version)],
        "spec": ["ports": [["port": .int(Int64(port))]]],
    ]
}

private func until(_ condition: () -> Bool) async throws {
    for _ in 0..<500 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
    #expect(condition())
}

@Suite("Informer: list, watch, cache, indexes, relist on expiry")
struct InformerTests {
    @Test("the cache follows the list then the watch; handlers see adds, updates and deletes; bad objects are left out")
    func followsListAndWatch() async throws {
        let api = ScriptedAPI(
            items: [service("a", "5"), service("b", "6")],
            scripts: [
                [
                    WatchEvent(type: "MODIFIED", object: service("a", "11", port: 81)),
                    WatchEvent(type: "ADDED", object: service("c", "12")),
                    WatchEvent(type: "DELETED", object: service("b", "13")),
                    WatchEvent(
                        type: "ADDED",
                        object: ["metadata": ["name": "bad", "namespace": "default", "resourceVersion": "14"], "spec": ["ports": [["name": "x"]]]]),
                ]
            ])
        let informer = Informer<KubeService>(client: api, resourcePath: "/api/v1/services", logger: Logger(label: "test")) { try KubeService(json: $0) }
        let seen = Mutex<[String]>([])
        informer.addHandler { change in
            seen.withLock {
                switch change {
                case .added(let new): $0.append("add \(new.key)")
                case .updated(_, let new): $0.append("update \(new.key) \(new.spec.ports.first?.port ?? 0)")
                case .deleted(let old): $0.append("delete \(old.key)")
                }
            }
        }
        informer.addIndex("namespace") { [$0.metadata.namespace] }
        let run = Task { await informer.run() }
        defer { run.cancel() }
        await informer.waitForSync()
        try await until { informer.get("default/c") != nil && informer.get("default/b") == nil }
        #expect(informer.get("default/a")?.spec.ports.first?.port == 81)
        #expect(informer.get("default/bad") == nil, "an object the model cannot read is not cached")
        #expect(Set(informer.objects(index: "namespace", value: "default").map(\.key)) == ["default/a", "default/c"])
        let log = seen.withLock { $0 }
        #expect(log.filter { $0.hasPrefix("add") }.sorted() == ["add default/a", "add default/b", "add default/c"])
        #expect(log.contains("update default/a 81"))
        #expect(log.contains("delete default/b"))
        // The second watch resumes where the first ended.
        try await until { api.state.withLock { $0.watchPaths.count } >= 2 }
        let paths = api.state.withLock { $0.watchPaths }
        #expect(paths[0].contains("resourceVersion=10"))
        #expect(paths[1].contains("resourceVersion=14"))
    }

    @Test("an ERROR event (410 Gone) ends the watch and makes it relist")
    func relistsAfterExpiry() async throws {
        let api = ScriptedAPI(items: [service("a", "5"), service("b", "6")], scripts: [[WatchEvent(type: "ERROR", object: ["kind": "Status", "code": 410])]])
        let informer = Informer<KubeService>(client: api, resourcePath: "/api/v1/services", logger: Logger(label: "test")) { try KubeService(json: $0) }
        let run = Task { await informer.run() }
        defer { run.cancel() }
        try await until { api.state.withLock { $0.lists } >= 2 }
        #expect(informer.hasSynced)
        #expect(Set(informer.list().map(\.key)) == ["default/a", "default/b"])
    }

    @Test("a relist announces objects removed while the watch was down")
    func relistAnnouncesRemovals() async throws {
        let api = ScriptedAPI(items: [service("a", "5"), service("b", "6")], scripts: [[WatchEvent(type: "ERROR", object: ["kind": "Status", "code": 410])]])
        let informer = Informer<KubeService>(client: api, resourcePath: "/api/v1/services", logger: Logger(label: "test")) { try KubeService(json: $0) }
        let deleted = Mutex<[String]>([])
        informer.addHandler { change in
            if case .deleted(let old) = change { deleted.withLock { $0.append(old.key) } }
            // After the first list is loaded, "b" vanishes from the server before the relist.
            if case .added(let new) = change, new.key == "default/b" { api.state.withLock { $0.items = [service("a", "5")] } }
        }
        let run = Task { await informer.run() }
        defer { run.cancel() }
        try await until { deleted.withLock { $0 } == ["default/b"] }
        #expect(informer.list().map(\.key) == ["default/a"])
    }
}

@Suite("Work queue: dedupe, one worker per key, back-off")
struct WorkQueueTests {
    @Test("a key added many times waits once; added while processed, it is handed out again after done")
    func dedupeAndRequeue() async {
        let queue = WorkQueue<String>()
        queue.add("a")
        queue.add("a")
        queue.add("b")
        #expect(queue.count == 2)
        let first = await queue.next()
        #expect(first == "a")
        queue.add("a")
        #expect(queue.count == 1, "a is being processed: it waits until done, not beside b")
        #expect(await queue.next() == "b")
        queue.done("a")
        #expect(await queue.next() == "a")
        queue.done("a")
        queue.done("b")
        #expect(queue.count == 0)
    }

    @Test("back-off doubles per key until forget; shutDown wakes a waiting worker with nil")
    func backOffAndShutdown() async throws {
        let queue = WorkQueue<String>(baseDelay: .milliseconds(20))
        queue.addRateLimited("k")
        queue.addRateLimited("k")
        #expect(queue.retries("k") == 2)
        let clock = ContinuousClock()
        let start = clock.now
        #expect(await queue.next() == "k")
        #expect(clock.now - start >= .milliseconds(15))
        queue.forget("k")
        #expect(queue.retries("k") == 0)
        let waiter = Task { await queue.next() }
        try await Task.sleep(for: .milliseconds(50))
        queue.shutDown()
        #expect(await waiter.value == nil)
    }
}

@Suite("Queue workers: retries, one worker per key")
struct QueueWorkersTests {
    @Test("a failing key is retried with back-off until it succeeds; a key is never processed by two workers at once")
    func retriesAndExclusivity() async throws {
        let queue = WorkQueue<String>(baseDelay: .milliseconds(5))
        let attempts = Mutex<[String: Int]>([:])
        let running = Mutex<(now: Set<String>, overlaps: Int)>(([], 0))
        let workers = QueueWorkers(name: "test", queue: queue, workers: 2, logger: Logger(label: "test"), waitForCaches: {}) { key in
            running.withLock { if !$0.now.insert(key).inserted { $0.overlaps += 1 } }
            defer { running.withLock { _ = $0.now.remove(key) } }
            let attempt = attempts.withLock { state -> Int in
                state[key, default: 0] += 1
                return state[key]!
            }
            try await Task.sleep(for: .milliseconds(5))
            if key == "flaky", attempt < 3 { throw Tools.Failure("attempt \(attempt)") }
        }
        let run = Task { await workers.run() }
        defer { run.cancel() }
        queue.add("flaky")
        for _ in 0..<20 {
            queue.add("busy")
            try await Task.sleep(for: .milliseconds(2))
        }
        // Success on the third attempt forgets the back-off.
        try await until { attempts.withLock { $0["flaky"] ?? 0 } == 3 && queue.retries("flaky") == 0 }
        #expect(running.withLock { $0.overlaps } == 0)
        #expect(attempts.withLock { $0["busy"] ?? 0 } < 20, "adds while a key waits or runs coalesce")
    }
}

private enum Tools {
    struct Failure: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }
}

@Suite("Informer: waiting for the first list")
struct InformerSyncWaitTests {
    @Test("several tasks waiting for the first list are all woken; a cancelled waiter returns without it")
    func manyWaiters() async throws {
        let api = ScriptedAPI(items: [service("a", "5")], scripts: [])
        let informer = Informer<KubeService>(client: api, resourcePath: "/api/v1/services", logger: Logger(label: "test")) { try KubeService(json: $0) }
        let waiters = (0..<3).map { _ in
            Task {
                await informer.waitForSync()
                return informer.hasSynced
            }
        }
        let abandoned = Task { await informer.waitForSync() }
        abandoned.cancel()
        await abandoned.value
        #expect(!informer.hasSynced)
        let run = Task { await informer.run() }
        defer { run.cancel() }
        for waiter in waiters { #expect(await waiter.value, "woken only once the cache holds the first list") }
    }
}
