import Logging
import SkiffAPI
import SkiffClient
import Testing

@testable import SkiffControllers

/// The namespace controller on a fake API: a deleted namespace is emptied of every kind discovery
/// lists (a custom one too), reports what remains, and is finalized only once it is empty.
@Suite("NamespaceController on a fake API")
struct NamespaceControllerTests {
    func until(_ condition: () -> Bool) async throws -> Bool {
        for _ in 0..<500 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
        return condition()
    }

    static func object(_ name: String, namespace: String = "team") -> JSON {
        ["metadata": ["name": .string(name), "namespace": .string(namespace), "uid": .string("uid-\(namespace)-\(name)")]]
    }

    @Test("deleting a namespace deletes its objects of every kind, waits for a stopping pod, then finalizes it")
    func emptiedThenFinalized() async throws {
        let cluster = FakeCluster()
        cluster.put(.namespaces, ["metadata": ["name": "team", "uid": "ns-uid"], "spec": ["finalizers": ["kubernetes"]], "status": ["phase": "Active"]])
        cluster.put(FakeCluster.configMaps, Self.object("cfg"))
        cluster.put(FakeCluster.widgets, Self.object("gizmo"))
        cluster.put(FakeCluster.deployments, Self.object("web"))
        var pod = Self.object("runner")
        pod["spec"] = ["nodeName": "node-1", "containers": [["name": "main", "image": "busybox"]]]
        pod["status"] = ["phase": "Running"]
        cluster.put(.pods, pod)
        cluster.put(FakeCluster.configMaps, Self.object("elsewhere", namespace: "default"))
        let controller = NamespaceController(client: cluster, logger: Logger(label: "test"), recheckInterval: .milliseconds(50))
        let running = Task { await controller.run() }
        defer { running.cancel() }
        try await Task.sleep(for: .milliseconds(100))
        #expect(cluster.objects(.namespaces).count == 1)
        try await cluster.delete(.namespaces, namespace: "", name: "team", options: DeleteOptions())
        let settled1 = try await until { cluster.objects(FakeCluster.widgets).isEmpty && cluster.objects(FakeCluster.deployments).isEmpty }
        #expect(settled1)
        #expect(cluster.objects(FakeCluster.configMaps).compactMap { $0["metadata"]["name"].string } == ["elsewhere"])
        // The pod is stopping on its node: the namespace waits and says why.
        #expect(
            try await until {
                cluster.objects(.namespaces).first?["status"]["conditions"][0]["message"]
                    == "Some resources are remaining: pods has 1 resource instances"
            })
        try await Task.sleep(for: .milliseconds(150))
        #expect(cluster.objects(.namespaces).first?["spec"]["finalizers"] == ["kubernetes"])
        try await cluster.delete(.pods, namespace: "team", name: "runner", options: DeleteOptions(gracePeriodSeconds: 0))
        let settled2 = try await until { cluster.objects(.namespaces).isEmpty }
        #expect(settled2)
        #expect(cluster.writes.contains("finalize namespaces team"))
    }

    @Test("a namespace that is not being deleted is left alone")
    func activeNamespaceUntouched() async throws {
        let cluster = FakeCluster()
        cluster.put(.namespaces, ["metadata": ["name": "team", "uid": "ns-uid"], "spec": ["finalizers": ["kubernetes"]], "status": ["phase": "Active"]])
        cluster.put(FakeCluster.configMaps, Self.object("cfg"))
        let controller = NamespaceController(client: cluster, logger: Logger(label: "test"), recheckInterval: .milliseconds(50))
        let running = Task { await controller.run() }
        defer { running.cancel() }
        try await Task.sleep(for: .milliseconds(200))
        #expect(cluster.writes.isEmpty)
        #expect(cluster.objects(FakeCluster.configMaps).count == 1)
    }

    @Test("the NamespaceContentRemaining condition names every kind left and keeps its time while unchanged")
    func conditions() {
        let remaining = NamespaceController.conditions(remaining: ["pods": 2, "widgets.example.com": 1], previous: .null)
        #expect(remaining[0]["message"] == "Some resources are remaining: pods has 2 resource instances, widgets.example.com has 1 resource instances")
        #expect(remaining[0]["status"] == "True")
        let again = NamespaceController.conditions(remaining: ["pods": 2, "widgets.example.com": 1], previous: .array(remaining))
        #expect(again == remaining)
        let done = NamespaceController.conditions(remaining: [:], previous: .array(remaining))
        #expect(done[0]["status"] == "False")
        #expect(done[0]["reason"] == "ContentRemoved")
    }
}
