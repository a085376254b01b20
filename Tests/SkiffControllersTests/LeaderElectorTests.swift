import Foundation
import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffClient
import Synchronization
import Testing

@testable import SkiffControllers

/// Leader election on a fake API with a 2 s lease: one of two candidates leads; a graceful
/// stop hands over at once; a leader cut off from the API stops leading after its renew
/// deadline, the other takes over only once the lease has expired, and the first campaigns again.
@Suite("LeaderElector on a fake API")
struct LeaderElectorTests {
    /// Who leads now, as the leading services see it.
    final class Leaders: Sendable {
        let current = Mutex<[String]>([])
        let history = Mutex<[String]>([])
    }

    struct Leading: Service {
        let identity: String
        let leaders: Leaders
        func run() async throws {
            leaders.current.withLock { $0.append(identity) }
            leaders.history.withLock { $0.append(identity) }
            defer { leaders.current.withLock { $0.removeAll { $0 == identity } } }
            while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(20)) }
        }
    }

    /// The fake API as one candidate sees it: `cut` makes every request fail, as a partition would.
    final class Link: ControllerClient {
        let cluster: FakeCluster
        let cut = Atomic<Bool>(false)
        init(_ cluster: FakeCluster) { self.cluster = cluster }
        func check() throws { if cut.load(ordering: .relaxed) { throw APIError(code: 503, reason: "ServiceUnavailable", message: "unreachable") } }
        func list(_ path: String) async throws -> JSON {
            try check()
            return try await cluster.list(path)
        }
        func watch(_ path: String, onEvent: @Sendable (WatchEvent) async throws -> Void) async throws {
            try check()
            try await cluster.watch(path, onEvent: onEvent)
        }
        func get(_ resource: APIResource, namespace: String, name: String) async throws -> JSON? {
            try check()
            return try await cluster.get(resource, namespace: namespace, name: name)
        }
        func create(_ resource: APIResource, namespace: String, _ object: JSON, fieldManager: String) async throws -> JSON {
            try check()
            return try await cluster.create(resource, namespace: namespace, object, fieldManager: fieldManager)
        }
        func update(_ resource: APIResource, namespace: String, _ object: JSON, fieldManager: String) async throws -> JSON {
            try check()
            return try await cluster.update(resource, namespace: namespace, object, fieldManager: fieldManager)
        }
        func delete(_ resource: APIResource, namespace: String, name: String, options: DeleteOptions) async throws {
            try check()
            try await cluster.delete(resource, namespace: namespace, name: name, options: options)
        }
        func finalizeNamespace(_ namespace: JSON) async throws -> JSON { try await cluster.finalizeNamespace(namespace) }
        func servedResources() async throws -> [ServedResource] { try await cluster.servedResources() }
        func createEvent(namespace: String, _ event: JSON) async throws { try await cluster.createEvent(namespace: namespace, event) }
    }

    static func elector(_ identity: String, _ client: any ControllerClient, _ leaders: Leaders) -> LeaderElector {
        var configuration = LeaderElector.Configuration(name: "test-lock", identity: identity)
        configuration.leaseDuration = .seconds(2)
        configuration.renewDeadline = .milliseconds(1000)
        configuration.retryPeriod = .milliseconds(100)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return LeaderElector(client: client, configuration: configuration, logger: logger) {
            [Leading(identity: identity, leaders: leaders)]
        }
    }

    func holder(_ cluster: FakeCluster) -> String? {
        cluster.objects(.leases).first { $0["metadata"]["name"] == "test-lock" }?["spec"]["holderIdentity"].string
    }

    @Test("one of two candidates leads; stopped, it releases the lease and the other leads at once")
    func handOverOnStop() async throws {
        let cluster = FakeCluster()
        let leaders = Leaders()
        let a = Self.elector("a", cluster, leaders)
        let b = Self.elector("b", cluster, leaders)
        let runA = Task { try await a.run() }
        try await Task.sleep(for: .milliseconds(200))
        let runB = Task { try await b.run() }
        defer { runB.cancel() }
        try await Task.sleep(for: .milliseconds(600))
        #expect(leaders.current.withLock { $0 } == ["a"])
        #expect(holder(cluster) == "a" && a.isLeader && !b.isLeader)
        let stopped = Date()
        runA.cancel()
        try await runA.value
        #expect(leaders.current.withLock { $0 }.isEmpty || leaders.current.withLock { $0 } == ["b"])
        #expect(try await WorkloadFixtures.until { leaders.current.withLock { $0 } == ["b"] })
        // Released, not expired: well within the 2 s lease.
        #expect(Date().timeIntervalSince(stopped) < 1.0)
        #expect(holder(cluster) == "b")
        #expect(leaders.history.withLock { $0 } == ["a", "b"])
    }

    @Test(
        "a leader cut off from the API stops leading after its renew deadline and campaigns again; the other takes over only once the lease expired"
    )
    func takeOverAfterExpiry() async throws {
        let cluster = FakeCluster()
        let leaders = Leaders()
        let linkA = Link(cluster)
        let a = Self.elector("a", linkA, leaders)
        let b = Self.elector("b", cluster, leaders)
        let runA = Task { try await a.run() }
        defer { runA.cancel() }
        try await Task.sleep(for: .milliseconds(200))
        let runB = Task { try await b.run() }
        defer { runB.cancel() }
        try await Task.sleep(for: .milliseconds(300))
        #expect(holder(cluster) == "a")
        let cut = ContinuousClock.now
        linkA.cut.store(true, ordering: .relaxed)
        // The cut-off leader stops its services by itself (its API server would keep serving).
        #expect(try await WorkloadFixtures.until { !leaders.current.withLock { $0 }.contains("a") })
        let gaveUp = ContinuousClock.now - cut
        #expect(gaveUp >= .milliseconds(900) && gaveUp < .milliseconds(1800), "gave up after \(gaveUp)")
        #expect(try await WorkloadFixtures.until { holder(cluster) == "b" })
        let tookOver = ContinuousClock.now - cut
        // Not before the lease (2 s from a's last renewal, up to 0.1 s before the cut) ran out.
        #expect(tookOver >= .milliseconds(1800), "took over after \(tookOver)")
        // The lease is b's a moment before its leading services start.
        #expect(try await WorkloadFixtures.until { leaders.history.withLock { $0 } == ["a", "b"] })
        #expect(cluster.objects(.leases).first?["spec"]["leaseTransitions"] == 1)
        // Reconnected, a is a candidate again: it waits while b renews, and leads (with fresh
        // services) once b is gone.
        linkA.cut.store(false, ordering: .relaxed)
        try await Task.sleep(for: .milliseconds(500))
        #expect(holder(cluster) == "b")
        #expect(a.termsLed == 1)
        runB.cancel()
        #expect(try await WorkloadFixtures.until { leaders.current.withLock { $0 } == ["a"] })
        #expect(a.termsLed == 2)
        #expect(leaders.history.withLock { $0 } == ["a", "b", "a"])
    }
}
