import Logging
import SkiffAPI
import SkiffClient
import Testing

@testable import SkiffControllers

/// The garbage collector on a fake API that deletes as the real one does (finalizers hold an
/// object, Orphan and Foreground add theirs, a bound pod waits for its node).
@Suite("GarbageCollector on a fake API")
struct GarbageCollectorTests {
    static func replicaSet(_ name: String = "rs", uid: String = "rs-uid") -> JSON {
        ["metadata": ["name": .string(name), "namespace": "default", "uid": .string(uid)], "spec": ["replicas": 2]]
    }

    static func pod(_ name: String, owners: [JSON], node: String? = nil) -> JSON {
        var pod: JSON = [
            "metadata": ["name": .string(name), "namespace": "default", "uid": .string("uid-" + name), "ownerReferences": .array(owners)],
            "spec": ["containers": [["name": "main", "image": "busybox"]]], "status": ["phase": "Running"],
        ]
        if let node { pod["spec"]["nodeName"] = .string(node) }
        return pod
    }

    static func owner(_ kind: String = "ReplicaSet", apiVersion: String = "apps/v1", name: String = "rs", uid: String = "rs-uid", block: Bool = true) -> JSON {
        [
            "apiVersion": .string(apiVersion), "kind": .string(kind), "name": .string(name), "uid": .string(uid), "controller": true,
            "blockOwnerDeletion": .bool(block),
        ]
    }

    func until(_ condition: () -> Bool) async throws -> Bool {
        for _ in 0..<500 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
        return condition()
    }

    /// Runs the collector on `cluster` for the duration of `body`.
    func withCollector(_ cluster: FakeCluster, _ body: () async throws -> Void) async throws {
        let collector = GarbageCollector(client: cluster, logger: Logger(label: "test"))
        let running = Task { await collector.run() }
        defer { running.cancel() }
        try await body()
    }

    func names(_ cluster: FakeCluster, _ resource: APIResource) -> Set<String> {
        Set(cluster.objects(resource).compactMap { $0["metadata"]["name"].string })
    }

    @Test("Background: once the owner is gone its dependents are deleted, with the uid precondition")
    func background() async throws {
        let cluster = FakeCluster()
        cluster.put(.pods, Self.pod("a", owners: [Self.owner()]))
        cluster.put(.pods, Self.pod("b", owners: [Self.owner()]))
        cluster.put(.pods, Self.pod("free", owners: []))
        cluster.put(FakeCluster.replicaSets, Self.replicaSet())
        try await withCollector(cluster) {
            try await Task.sleep(for: .milliseconds(100))
            #expect(names(cluster, .pods) == ["a", "b", "free"])
            try await cluster.delete(FakeCluster.replicaSets, namespace: "default", name: "rs", options: DeleteOptions())
            let settled1 = try await until { names(cluster, .pods) == ["free"] }
            #expect(settled1)
        }
    }

    @Test("a dependent whose owner never existed is collected at start; one owned by an unserved kind is kept")
    func danglingAtStart() async throws {
        let cluster = FakeCluster()
        cluster.put(.pods, Self.pod("stray", owners: [Self.owner(uid: "gone")]))
        cluster.put(.pods, Self.pod("foreign", owners: [Self.owner("Gadget", apiVersion: "example.org/v1", name: "g", uid: "g-uid")]))
        try await withCollector(cluster) {
            let settled2 = try await until { names(cluster, .pods) == ["foreign"] }
            #expect(settled2)
            try await Task.sleep(for: .milliseconds(100))
            #expect(names(cluster, .pods) == ["foreign"])
        }
    }

    @Test("Orphan: dependents lose the reference and stay; the owner goes once its orphan finalizer is dropped")
    func orphan() async throws {
        let cluster = FakeCluster()
        cluster.put(FakeCluster.replicaSets, Self.replicaSet())
        cluster.put(.pods, Self.pod("a", owners: [Self.owner()]))
        cluster.put(.pods, Self.pod("b", owners: [Self.owner(), Self.owner("ConfigMap", apiVersion: "v1", name: "cfg", uid: "cfg-uid")]))
        cluster.put(FakeCluster.configMaps, ["metadata": ["name": "cfg", "namespace": "default", "uid": "cfg-uid"]])
        try await withCollector(cluster) {
            try await cluster.delete(FakeCluster.replicaSets, namespace: "default", name: "rs", options: DeleteOptions(propagationPolicy: .orphan))
            let settled3 = try await until { cluster.objects(FakeCluster.replicaSets).isEmpty }
            #expect(settled3)
            #expect(names(cluster, .pods) == ["a", "b"])
            let pods = Dictionary(uniqueKeysWithValues: cluster.objects(.pods).map { ($0["metadata"]["name"].string ?? "", $0) })
            #expect(pods["a"]?["metadata"]["ownerReferences"] == .null)
            #expect(pods["b"]?["metadata"]["ownerReferences"].array?.compactMap { $0["kind"].string } == ["ConfigMap"])
        }
    }

    @Test("Foreground: dependents go first; a bound pod still stopping keeps the owner until it is gone")
    func foreground() async throws {
        let cluster = FakeCluster()
        cluster.put(FakeCluster.replicaSets, Self.replicaSet())
        cluster.put(.pods, Self.pod("unbound", owners: [Self.owner()]))
        cluster.put(.pods, Self.pod("bound", owners: [Self.owner()], node: "node-1"))
        try await withCollector(cluster) {
            try await Task.sleep(for: .milliseconds(100))
            try await cluster.delete(FakeCluster.replicaSets, namespace: "default", name: "rs", options: DeleteOptions(propagationPolicy: .foreground))
            let settled4 = try await until { names(cluster, .pods) == ["bound"] }
            #expect(settled4)
            let settled5 = try await until { cluster.objects(.pods).first?["metadata"]["deletionTimestamp"].isNull == false }
            #expect(settled5)
            try await Task.sleep(for: .milliseconds(200))
            let owner = try #require(cluster.objects(FakeCluster.replicaSets).first)
            #expect(owner["metadata"]["finalizers"] == ["foregroundDeletion"])
            // The node's agent has stopped it.
            try await cluster.delete(.pods, namespace: "default", name: "bound", options: DeleteOptions(gracePeriodSeconds: 0))
            let settled6 = try await until { cluster.objects(FakeCluster.replicaSets).isEmpty }
            #expect(settled6)
        }
    }

    @Test("Foreground: a dependent that does not block lets the owner go at once, and is deleted too")
    func foregroundWithoutBlocking() async throws {
        let cluster = FakeCluster()
        cluster.put(FakeCluster.replicaSets, Self.replicaSet())
        cluster.put(.pods, Self.pod("bound", owners: [Self.owner(block: false)], node: "node-1"))
        try await withCollector(cluster) {
            try await Task.sleep(for: .milliseconds(100))
            try await cluster.delete(FakeCluster.replicaSets, namespace: "default", name: "rs", options: DeleteOptions(propagationPolicy: .foreground))
            let settled7 = try await until { cluster.objects(FakeCluster.replicaSets).isEmpty }
            #expect(settled7)
            let settled8 = try await until { cluster.objects(.pods).first?["metadata"]["deletionTimestamp"].isNull == false }
            #expect(settled8)
        }
    }

    @Test("a dependent with another live owner stays, minus the reference to the one that is gone")
    func secondOwnerKeepsDependent() async throws {
        let cluster = FakeCluster()
        cluster.put(FakeCluster.replicaSets, Self.replicaSet())
        cluster.put(FakeCluster.configMaps, ["metadata": ["name": "cfg", "namespace": "default", "uid": "cfg-uid"]])
        cluster.put(.pods, Self.pod("shared", owners: [Self.owner(), Self.owner("ConfigMap", apiVersion: "v1", name: "cfg", uid: "cfg-uid")]))
        try await withCollector(cluster) {
            try await Task.sleep(for: .milliseconds(100))
            try await cluster.delete(FakeCluster.replicaSets, namespace: "default", name: "rs", options: DeleteOptions())
            #expect(
                try await until {
                    cluster.objects(.pods).first?["metadata"]["ownerReferences"].array?.compactMap { $0["kind"].string } == ["ConfigMap"]
                })
            #expect(names(cluster, .pods) == ["shared"])
        }
    }

    @Test("a kind that answers 404 is skipped; the others are collected")
    func unservedKind() async throws {
        let cluster = FakeCluster()
        cluster.state.withLock { _ = $0.unserved.insert(FakeCluster.widgets.collectionPath) }
        cluster.put(.pods, Self.pod("stray", owners: [Self.owner(uid: "gone")]))
        try await withCollector(cluster) {
            let settled9 = try await until { cluster.objects(.pods).isEmpty }
            #expect(settled9)
        }
    }
}
