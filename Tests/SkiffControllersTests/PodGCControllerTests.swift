import Logging
import SkiffAPI
import SkiffClient
import Testing

@testable import SkiffControllers

/// The pod garbage collector on a fake API: pods on gone nodes (after the grace), unscheduled
/// pods being deleted, and the oldest terminated pods over the threshold are force-deleted.
@Suite("PodGCController on a fake API")
struct PodGCControllerTests {
    func until(_ condition: () -> Bool) async throws -> Bool {
        for _ in 0..<500 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
        return condition()
    }

    static func pod(
        _ name: String, node: String? = "node-1", phase: String = "Running", created: String = "2026-12-07T00:00:00Z", deleting: Bool = false
    ) -> JSON {
        var metadata: JSON = ["name": .string(name), "namespace": "default", "uid": .string("uid-" + name), "creationTimestamp": .string(created)]
        if deleting {
            metadata["deletionTimestamp"] = "2026-12-07T00:00:00Z"
            metadata["finalizers"] = ["example.com/hold"]
        }
        var spec: JSON = ["containers": [["name": "main", "image": "busybox"]]]
        if let node { spec["nodeName"] = .string(node) }
        return ["metadata": metadata, "spec": spec, "status": ["phase": .string(phase)]]
    }

    /// Runs pod GC with its own pods and nodes informers on `cluster` for the duration of `body`.
    func withPodGC(_ cluster: FakeCluster, threshold: Int = 100, grace: Duration = .milliseconds(200), _ body: () async throws -> Void) async throws {
        let logger = Logger(label: "test")
        let pods = Informer<Pod>(client: cluster, resourcePath: APIResource.pods.collectionPath, logger: logger) { try Pod(json: $0) }
        let nodes = Informer<KubeNode>(client: cluster, resourcePath: APIResource.nodes.collectionPath, logger: logger) { try KubeNode(json: $0) }
        let controller = PodGCController(client: cluster, pods: pods, nodes: nodes, logger: logger, terminatedPodThreshold: threshold, orphanGrace: grace)
        let running = Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await pods.run() }
                group.addTask { await nodes.run() }
                group.addTask { await controller.run() }
            }
        }
        defer { running.cancel() }
        try await body()
    }

    func names(_ cluster: FakeCluster) -> Set<String> { Set(cluster.objects(.pods).compactMap { $0["metadata"]["name"].string }) }

    @Test("pods bound to a node that is gone are force-deleted after the grace; pods on live nodes stay")
    func orphanedNodePods() async throws {
        let cluster = FakeCluster()
        cluster.put(.nodes, ["metadata": ["name": "node-1"]])
        cluster.put(.nodes, ["metadata": ["name": "node-2"]])
        cluster.put(.pods, Self.pod("on-1", node: "node-1"))
        cluster.put(.pods, Self.pod("on-2", node: "node-2"))
        try await withPodGC(cluster, grace: .milliseconds(300)) {
            try await Task.sleep(for: .milliseconds(100))
            cluster.remove(.nodes, namespace: "", name: "node-2")
            // Within the grace the pod stays (the node may come back).
            try await Task.sleep(for: .milliseconds(150))
            #expect(names(cluster) == ["on-1", "on-2"])
            let settled1 = try await until { names(cluster) == ["on-1"] }
            #expect(settled1)
            #expect(cluster.writes.contains("delete pods on-2 force"))
            try await Task.sleep(for: .milliseconds(100))
            #expect(names(cluster) == ["on-1"])
        }
    }

    @Test("a pod being deleted that was never scheduled is force-deleted")
    func unscheduledTerminating() async throws {
        let cluster = FakeCluster()
        cluster.put(.pods, Self.pod("pending", node: nil))
        cluster.put(.pods, Self.pod("going", node: nil, deleting: true))
        try await withPodGC(cluster) {
            let settled2 = try await until { cluster.writes.contains("delete pods going force") }
            #expect(settled2)
            try await Task.sleep(for: .milliseconds(100))
            #expect(!cluster.writes.contains("delete pods pending force"))
        }
    }

    @Test("terminated pods over the threshold are deleted oldest first; running ones never count")
    func terminatedOverThreshold() async throws {
        let cluster = FakeCluster()
        cluster.put(.nodes, ["metadata": ["name": "node-1"]])
        let created = ["c": "2026-12-07T00:00:03Z", "a": "2026-12-07T00:00:01Z", "d": "2026-12-07T00:00:04Z", "b": "2026-12-07T00:00:02Z"]
        for (name, time) in created { cluster.put(.pods, Self.pod("done-" + name, phase: name == "b" ? "Failed" : "Succeeded", created: time)) }
        cluster.put(.pods, Self.pod("running", created: "2026-12-06T00:00:00Z"))
        try await withPodGC(cluster, threshold: 2) {
            let settled3 = try await until { names(cluster) == ["done-c", "done-d", "running"] }
            #expect(settled3)
            #expect(cluster.writes.filter { $0.hasPrefix("delete") } == ["delete pods done-a force", "delete pods done-b force"])
            // One more finishes: the oldest left goes.
            cluster.put(.pods, Self.pod("done-e", phase: "Succeeded", created: "2026-12-07T00:00:05Z"))
            let settled4 = try await until { names(cluster) == ["done-d", "done-e", "running"] }
            #expect(settled4)
        }
    }
}
