import Logging
import SkiffAPI
import SkiffClient
import Testing

@testable import SkiffControllers

/// The controller's loop on a fake API: it writes only what changed, and a stale cache (its own
/// create not yet seen) never makes it create a second slice.
@Suite("EndpointSliceController on a fake API")
struct EndpointSliceControllerTests {
    static let service: JSON = [
        "metadata": ["name": "web", "namespace": "default", "uid": "svc-uid"],
        "spec": ["selector": ["app": "web"], "ports": [["port": 80, "targetPort": 8080]]],
    ]

    static func pod(_ name: String, ip: String, ready: Bool = true) -> JSON {
        [
            "metadata": ["name": .string(name), "namespace": "default", "uid": .string("uid-" + name), "labels": ["app": "web"]],
            "spec": ["containers": [["name": "main", "image": "busybox"]]],
            "status": ["phase": "Running", "podIP": .string(ip), "conditions": [["type": "Ready", "status": .string(ready ? "True" : "False")]]],
        ]
    }

    func until(_ condition: () -> Bool) async throws -> Bool {
        for _ in 0..<500 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
        return condition()
    }

    @Test("a sync before the cache shows the controller's own create waits instead of creating again")
    func expectations() async throws {
        let cluster = FakeCluster()
        cluster.put(.services, Self.service)
        cluster.put(.pods, Self.pod("a", ip: "10.42.0.1"))
        cluster.holdSliceEvents()
        let informers = ServiceInformers(client: cluster, logger: Logger(label: "test"))
        let controller = EndpointSliceController(client: cluster, informers: informers, logger: Logger(label: "test"))
        let running = Task {
            await withTaskGroup(of: Void.self) { group in
                for service in informers.runnables + [controller] { group.addTask { try? await service.run() } }
            }
        }
        defer { running.cancel() }
        #expect(try await until { cluster.writes.count == 1 })
        // The pod changes while the slice's ADDED event is still held back.
        cluster.put(.pods, Self.pod("a", ip: "10.42.0.1", ready: false))
        try await Task.sleep(for: .milliseconds(200))
        #expect(cluster.writes.count == 1)
        cluster.releaseSliceEvents()
        #expect(try await until { cluster.writes.count == 2 })
        #expect(cluster.writes.map { $0.split(separator: " ").first.map(String.init) ?? "" } == ["create", "update"])
        let slice = try EndpointSlice(json: cluster.objects(.endpointSlices)[0])
        #expect(slice.endpoints.map(\.conditions.ready) == [false])
        #expect(slice.metadata.name.hasPrefix("web-"))
        // Settled: nothing more to write.
        try await Task.sleep(for: .milliseconds(200))
        #expect(cluster.writes.count == 2)
        #expect(cluster.objects(.endpointSlices).count == 1)
    }
}
