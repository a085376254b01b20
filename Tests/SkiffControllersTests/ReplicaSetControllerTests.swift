import Foundation
import SkiffAPI
import SkiffClient
import Testing

@testable import SkiffControllers

@Suite("ReplicaSetController on a fake API")
struct ReplicaSetControllerTests {
    typealias F = WorkloadFixtures

    @Test("converges to its replicas, reports ready and available counts, and scales down")
    func converges() async throws {
        let cluster = FakeCluster()
        cluster.put(.replicaSets, F.replicaSet(replicas: 3, uid: "rs-uid"))
        let context = F.context(cluster)
        let running = F.run(context, [ReplicaSetController(context: context)])
        defer { running.cancel() }
        #expect(try await F.until { cluster.pods.count == 3 })
        let pods = cluster.pods
        #expect(pods.allSatisfy { $0.name.hasPrefix("web-") && $0.controllerRef?.uid == "rs-uid" && $0.labels == ["app": "web"] })
        #expect(try await F.until { try cluster.replicaSet("web")?.status.replicas == 3 })
        #expect(try cluster.replicaSet("web")?.status.readyReplicas == 0)
        cluster.markPodsReady()
        #expect(try await F.until { try cluster.replicaSet("web")?.status.availableReplicas == 3 })
        let status = try #require(try cluster.replicaSet("web")?.status)
        #expect(status.readyReplicas == 3 && status.fullyLabeledReplicas == 3 && status.observedGeneration == 1)
        #expect(try await F.until { cluster.warningEvents.count { $0["reason"] == "SuccessfulCreate" } == 3 })

        var scaled = F.replicaSet(replicas: 1, uid: "rs-uid")
        scaled["metadata"]["generation"] = 2
        scaled["status"] = try #require(cluster.objects(.replicaSets).first)["status"]
        cluster.put(.replicaSets, scaled)
        #expect(try await F.until { cluster.pods.count == 1 })
        #expect(try await F.until { try cluster.replicaSet("web")?.status.replicas == 1 })
        #expect(try cluster.replicaSet("web")?.status.observedGeneration == 2)
    }

    @Test("no second create while its own creations have not reached the cache")
    func expectationsHoldBack() async throws {
        let cluster = FakeCluster()
        cluster.put(.replicaSets, F.replicaSet(replicas: 3, uid: "rs-uid"))
        cluster.holdEvents(of: .pods)
        let context = F.context(cluster)
        let running = F.run(context, [ReplicaSetController(context: context)])
        defer { running.cancel() }
        #expect(try await F.until { cluster.writes.count { $0.hasPrefix("create pods") } == 3 })
        // The ReplicaSet changes while its pods' ADDED events are held back: it must not create more.
        var touched = F.replicaSet(replicas: 3, uid: "rs-uid")
        touched["metadata"]["annotations"] = ["note": "x"]
        cluster.put(.replicaSets, touched)
        try await Task.sleep(for: .milliseconds(300))
        #expect(cluster.writes.count { $0.hasPrefix("create pods") } == 3)
        cluster.releaseEvents(of: .pods)
        #expect(try await F.until { try cluster.replicaSet("web")?.status.replicas == 3 })
        try await Task.sleep(for: .milliseconds(200))
        #expect(cluster.writes.count { $0.hasPrefix("create pods") } == 3)
        #expect(cluster.pods.count == 3)
    }

    @Test("adopts orphans its selector matches, releases its pods that no longer match, ignores terminal and deleting pods")
    func adoptionAndRelease() async throws {
        let cluster = FakeCluster()
        let owner = Pod.OwnerReference(apiVersion: "apps/v1", kind: "ReplicaSet", name: "web", uid: "rs-uid")
        cluster.put(.replicaSets, F.replicaSet(replicas: 2, uid: "rs-uid"))
        cluster.put(.pods, F.pod("orphan"))
        cluster.put(.pods, F.pod("relabelled", labels: ["app": "other"], owner: owner))
        cluster.put(.pods, F.pod("done", phase: "Succeeded", ready: false))
        cluster.put(.pods, F.pod("other-app", labels: ["app": "db"]))
        var deleting = F.pod("deleting", owner: owner)
        deleting["metadata"]["deletionTimestamp"] = "2026-12-07T00:00:00Z"
        cluster.put(.pods, deleting)
        let context = F.context(cluster)
        let running = F.run(context, [ReplicaSetController(context: context)])
        defer { running.cancel() }
        #expect(try await F.until { try cluster.replicaSet("web")?.status.replicas == 2 })
        let byName = Dictionary(uniqueKeysWithValues: cluster.pods.map { ($0.name, $0) })
        #expect(byName["orphan"]?.controllerRef?.uid == "rs-uid")
        #expect(byName["relabelled"]?.ownerReferences.isEmpty == true)
        #expect(byName["done"]?.controllerRef == nil)
        #expect(byName["other-app"]?.controllerRef == nil)
        // The orphan and one new pod make two; the deleting pod is not counted.
        #expect(cluster.writes.count { $0.hasPrefix("create pods") } == 1)
        #expect(cluster.pods.count { $0.controllerRef?.uid == "rs-uid" && $0.isActive } == 2)
    }

    @Test("deletes unscheduled, then Pending, Unknown, not ready, newer-ready, more restarted, newer pods first")
    func deletionOrder() throws {
        let pods = try [
            F.pod("old-ready", readySince: "2026-12-07T00:00:00Z", created: "2026-12-06T00:00:00Z"),
            F.pod("unscheduled", node: nil, phase: "Pending", ready: false),
            F.pod("pending", phase: "Pending", ready: false),
            F.pod("unknown", phase: "Unknown", ready: false),
            F.pod("not-ready", ready: false),
            F.pod("recently-ready", readySince: "2026-12-07T01:00:00Z"),
            F.pod("restarted", readySince: "2026-12-07T00:00:00Z", created: "2026-12-06T00:00:00Z", restarts: 3),
            F.pod("newer", readySince: "2026-12-07T00:00:00Z", created: "2026-12-06T12:00:00Z"),
        ].map { try Pod(json: $0) }
        let order = PodDeletionOrder.choose(pods.count, of: pods.shuffled()).map(\.name)
        #expect(order == ["unscheduled", "pending", "unknown", "not-ready", "recently-ready", "restarted", "newer", "old-ready"])
        #expect(PodDeletionOrder.choose(2, of: pods).map(\.name) == ["unscheduled", "pending"])

        // Alike otherwise, a pod on a node crowded with the set's pods goes before one alone on its node.
        let spread = try [F.pod("a1", node: "a"), F.pod("a2", node: "a"), F.pod("b1", node: "b")].map { try Pod(json: $0) }
        #expect(PodDeletionOrder.choose(1, of: spread).first?.spec.nodeName == "a")
    }

    @Test("a failing create sets ReplicaFailure and stops after the first slow-start batch")
    func replicaFailure() async throws {
        let cluster = FakeCluster()
        cluster.refuseCreates(of: .pods)
        cluster.put(.replicaSets, F.replicaSet(replicas: 5, uid: "rs-uid"))
        let context = F.context(cluster)
        let running = F.run(context, [ReplicaSetController(context: context)])
        defer { running.cancel() }
        #expect(try await F.until { try cluster.replicaSet("web")?.status.conditions.condition("ReplicaFailure")?.reason == "FailedCreate" })
        #expect(try await F.until { cluster.warningEvents.contains { $0["reason"] == "FailedCreate" } })
        // Slow start: the first batch is one pod, and its failure stops the sync.
        #expect(cluster.writes.first == "refused create pods")
        #expect(cluster.pods.isEmpty)
    }

    @Test("a ReplicaSet becomes available only after minReadySeconds")
    func minReadySeconds() async throws {
        let cluster = FakeCluster()
        cluster.put(.replicaSets, F.replicaSet(replicas: 1, uid: "rs-uid", minReadySeconds: 2))
        let owner = Pod.OwnerReference(apiVersion: "apps/v1", kind: "ReplicaSet", name: "web", uid: "rs-uid")
        cluster.put(.pods, F.pod("p", owner: owner, readySince: Timestamp.string(Date())))
        let context = F.context(cluster)
        let running = F.run(context, [ReplicaSetController(context: context)])
        defer { running.cancel() }
        #expect(try await F.until { try cluster.replicaSet("web")?.status.readyReplicas == 1 })
        #expect(try cluster.replicaSet("web")?.status.availableReplicas == 0)
        #expect(try await F.until { try cluster.replicaSet("web")?.status.availableReplicas == 1 })
    }
}
