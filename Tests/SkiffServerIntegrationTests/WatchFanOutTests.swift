import Foundation
import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffAPIServer
import SkiffStore
import SkiffTestSupport
import Synchronization
import Testing

/// The watch cache against real HTTPS clients: 60 `curl` watches of pods on one API server (in
/// this process, over a store that counts its watches) all get a new pod's ADDED event, while the
/// store saw a single pod watch — on SQLite and on a real etcd.
@Suite struct WatchFanOutTests {
    static let watchers = 60
    static let token = "fan-out-admin"

    @Test("60 HTTPS watchers on SQLite get the event through one store watch")
    func sixtyWatchersOnSQLite() async throws {
        let directory = NSTemporaryDirectory() + "skiff-fan-out-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sqlite = try SQLiteStore(path: directory + "/state.db")
        defer { sqlite.closeWatches() }
        try await Self.fanOut(store: WatchCountingStore(sqlite), directory: directory)
    }

    @Test("60 HTTPS watchers on etcd get the event through one store watch, and etcd serves only the server's own few watches")
    func sixtyWatchersOnEtcd() async throws {
        let etcd = try EtcdProcess()
        defer { etcd.stop() }
        let directory = NSTemporaryDirectory() + "skiff-fan-out-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await Self.fanOut(store: WatchCountingStore(try EtcdStore(endpoint: etcd.endpoint)), directory: directory, etcd: etcd)
    }

    /// Starts the API server over `store`, opens the watchers, creates a pod and checks that every
    /// watcher printed its ADDED event while the store saw one pod watch; on etcd, also that etcd
    /// counts no more watchers than the server's own few, not one per HTTPS watcher.
    static func fanOut(store: WatchCountingStore, directory: String, etcd: EtcdProcess? = nil) async throws {
        try ClusterPKI.writeToken(token, directory: directory)
        var logger = Logger(label: "skiff.test")
        logger.logLevel = .warning
        let server = try await APIServer.make(
            configuration: APIServerConfiguration(dataDirectory: directory, bindAddress: "127.0.0.1", port: 0), store: store, logger: logger)
        let group = ServiceGroup(configuration: .init(services: server.services, logger: logger))
        let running = Task { try await group.run() }
        defer { running.cancel() }
        let port = try #require(await server.servingPort.wait())
        let ca = directory + "/ca.pem"
        // The kubeconfig is written just after the port is announced.
        #expect(try await eventually { FileManager.default.fileExists(atPath: directory + "/admin.kubeconfig") })
        try Self.writeCA(kubeconfig: directory + "/admin.kubeconfig", to: ca)
        let curls = try (0..<watchers).map { index in
            try Self.curlWatch(port: port, ca: ca, output: directory + "/watch-\(index).json")
        }
        defer {
            for curl in curls where curl.isRunning { curl.terminate() }
            for curl in curls { curl.waitUntilExit() }
        }
        let pods = "/registry/core/pods/"
        // The watchers, and the API server's own pod uid cache (bound service-account tokens).
        #expect(try await eventually { server.api.watchCache.subscriberCount(resourcePrefix: pods) == watchers + 1 })
        if let etcd {
            // etcd serves only the server's own few watches (namespaces, nodes, the pod cache…).
            let etcdNow = try await Self.etcdWatcherCount(etcd)
            #expect(etcdNow <= store.watchesOpened && store.watchesOpened < 10, "etcd watchers \(etcdNow), server's \(store.watchesOpened)")
        }
        let created = await server.api.handle(
            APIRequest(
                method: "POST", path: "/api/v1/namespaces/default/pods",
                headers: ["authorization": "Bearer \(token)", "content-type": "application/json"],
                body: Array(#"{"metadata":{"name":"fanned"},"spec":{"containers":[{"name":"c","image":"busybox"}]}}"#.utf8)))
        #expect(created.status == 201)
        let delivered = try await eventually {
            (0..<watchers).allSatisfy { index in
                let text = (try? String(contentsOfFile: directory + "/watch-\(index).json", encoding: .utf8)) ?? ""
                return text.contains(#""type":"ADDED""#) && text.contains(#""name":"fanned""#)
            }
        }
        #expect(delivered, "every watcher printed the ADDED event")
        #expect(store.podWatchesOpened == 1)
        await group.triggerGracefulShutdown()
        try await running.value
    }

    static func curlWatch(port: Int, ca: String, output: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = [
            "-sSN", "--cacert", ca, "-H", "Authorization: Bearer \(token)", "-o", output,
            "https://127.0.0.1:\(port)/api/v1/namespaces/default/pods?watch=true",
        ]
        try process.run()
        return process
    }

    static func writeCA(kubeconfig: String, to path: String) throws {
        let config = try JSON(parsing: try String(contentsOfFile: kubeconfig, encoding: .utf8))
        let data = try #require(config["clusters"][0]["cluster"]["certificate-authority-data"].string.flatMap { Data(base64Encoded: $0) })
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// etcd's own count of open watchers (`etcd_debugging_mvcc_watcher_total`).
    static func etcdWatcherCount(_ etcd: EtcdProcess) async throws -> Int {
        let metrics = try await Tools.run("/usr/bin/curl", ["-s", etcd.endpoint + "/metrics"], timeout: 10).stdout
        let line = try #require(metrics.split(separator: "\n").first { $0.hasPrefix("etcd_debugging_mvcc_watcher_total ") })
        return try #require(Int(line.split(separator: " ")[1]))
    }

    static func eventually(timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }
}

/// A store that counts the watches opened on it.
final class WatchCountingStore: Store {
    let base: any Store
    private let opened = Atomic<Int>(0)
    private let openedAll = Atomic<Int>(0)

    init(_ base: any Store) { self.base = base }

    var podWatchesOpened: Int { opened.load(ordering: .relaxed) }
    /// Watches of every prefix opened so far.
    var watchesOpened: Int { openedAll.load(ordering: .relaxed) }

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
        openedAll.add(1, ordering: .relaxed)
        if prefix.hasPrefix("/registry/core/pods/") { opened.add(1, ordering: .relaxed) }
        return try await base.watch(prefix: prefix, afterRevision: afterRevision)
    }
    func currentRevision() async throws(StoreError) -> Int64 { try await base.currentRevision() }
    func compact(keepingRecent keep: Int64) async throws(StoreError) { try await base.compact(keepingRecent: keep) }
}
