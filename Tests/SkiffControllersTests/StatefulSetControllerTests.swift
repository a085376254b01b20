import Foundation
import Logging
import SkiffAPI
import SkiffClient
import Testing

@testable import SkiffControllers

@Suite("StatefulSet controller")
struct StatefulSetControllerTests {
    static func setJSON(replicas: Int = 3, policy: String = "OrderedReady", partition: Int? = nil, claims: Bool = true, whenDeleted: String = "Retain") -> JSON
    {
        var set: JSON = [
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": ["name": "web", "namespace": "default", "uid": "sts-uid", "generation": 1],
            "spec": [
                "replicas": .int(Int64(replicas)), "serviceName": "nginx", "podManagementPolicy": .string(policy),
                "selector": ["matchLabels": ["app": "web"]],
                "template": ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [["name": "main", "image": "nginx:1"]]]],
                "persistentVolumeClaimRetentionPolicy": ["whenDeleted": .string(whenDeleted), "whenScaled": "Retain"],
            ],
        ]
        if let partition { set["spec"]["updateStrategy"] = ["type": "RollingUpdate", "rollingUpdate": ["partition": .int(Int64(partition))]] }
        if claims {
            set["spec"]["volumeClaimTemplates"] = [
                ["metadata": ["name": "data"], "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]]]]
            ]
        }
        return set
    }

    static func pod(_ ordinal: Int, revision: String = "web-a", ready: Bool = true, deleting: Bool = false) throws -> Pod {
        var metadata: JSON = [
            "name": .string("web-\(ordinal)"), "namespace": "default", "uid": .string("uid-web-\(ordinal)-\(revision)"),
            "labels": ["app": "web", "controller-revision-hash": .string(revision)],
            "ownerReferences": [["apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": "sts-uid", "controller": true]],
        ]
        if deleting { metadata["deletionTimestamp"] = "2026-12-07T00:00:00Z" }
        return try Pod(json: [
            "metadata": metadata, "spec": ["containers": [["name": "main", "image": "nginx:1"]]],
            "status": ["phase": "Running", "conditions": [["type": "Ready", "status": .string(ready ? "True" : "False")]]],
        ])
    }

    static func plan(_ set: JSON, _ pods: [Pod], current: String = "web-a", update: String = "web-a") throws -> [StatefulSetPlan.Step] {
        StatefulSetPlan(statefulSet: try StatefulSet(json: set), pods: pods, currentRevision: current, updateRevision: update, now: Date()).steps
    }

    @Test("OrderedReady creates web-0, web-1, web-2 one at a time, each only once the one before is Running and Ready; Parallel creates all")
    func orderedCreation() throws {
        let set = Self.setJSON()
        #expect(try Self.plan(set, []) == [.create(ordinal: 0, revision: "web-a")])
        #expect(try Self.plan(set, [try Self.pod(0, ready: false)]).isEmpty)
        #expect(try Self.plan(set, [try Self.pod(0)]) == [.create(ordinal: 1, revision: "web-a")])
        // A gap is filled first, and nothing above it moves meanwhile.
        #expect(try Self.plan(set, [try Self.pod(0), try Self.pod(2)]) == [.create(ordinal: 1, revision: "web-a")])
        #expect(try Self.plan(Self.setJSON(policy: "Parallel"), []) == (0..<3).map { .create(ordinal: $0, revision: "web-a") })
    }

    @Test("scaling down removes the highest ordinal first, one at a time, and waits while one is terminating")
    func orderedScaleDown() throws {
        let set = Self.setJSON(replicas: 1)
        let pods = try (0..<3).map { try Self.pod($0) }
        let steps = try Self.plan(set, pods)
        #expect(steps == [.condemn(pods[2])])
        #expect(try Self.plan(set, [pods[0], pods[1], try Self.pod(2, deleting: true)]).isEmpty)
        // With another pod unhealthy, scale-down waits for it.
        #expect(try Self.plan(Self.setJSON(replicas: 3), [try Self.pod(0), try Self.pod(1, ready: false), try Self.pod(3)]).isEmpty)
    }

    @Test("a rolling update with a partition replaces only ordinals at or above it, highest first, each Ready before the next")
    func partitionedRollout() throws {
        let set = Self.setJSON(partition: 1)
        var pods = try (0..<3).map { try Self.pod($0, revision: "web-a") }
        #expect(try Self.plan(set, pods, current: "web-a", update: "web-b") == [.delete(pods[2])])
        pods[2] = try Self.pod(2, revision: "web-b", ready: false)
        #expect(try Self.plan(set, pods, current: "web-a", update: "web-b").isEmpty)
        pods[2] = try Self.pod(2, revision: "web-b")
        #expect(try Self.plan(set, pods, current: "web-a", update: "web-b") == [.delete(pods[1])])
        pods[1] = try Self.pod(1, revision: "web-b")
        let done = StatefulSetPlan(statefulSet: try StatefulSet(json: set), pods: pods, currentRevision: "web-a", updateRevision: "web-b", now: Date())
        #expect(done.steps.isEmpty)
        #expect(done.status.updatedReplicas == 2 && done.status.currentReplicas == 1 && done.status.currentRevision == "web-a")
        // A missing pod below the partition is made from the current revision, above it from the update.
        #expect(try Self.plan(set, [pods[1], pods[2]], current: "web-a", update: "web-b") == [.create(ordinal: 0, revision: "web-a")])
        #expect(try Self.plan(set, [pods[0], pods[1]], current: "web-a", update: "web-b") == [.create(ordinal: 2, revision: "web-b")])
        // Without a partition the whole set moves, and the update revision becomes current.
        let all = try (0..<3).map { try Self.pod($0, revision: "web-b") }
        let finished = StatefulSetPlan(
            statefulSet: try StatefulSet(json: Self.setJSON(partition: 0)), pods: all, currentRevision: "web-a", updateRevision: "web-b", now: Date())
        #expect(finished.status.currentRevision == "web-b" && finished.status.currentReplicas == 3)
    }

    @Test("pod N is web-N with hostname web-N and the Service as subdomain, mounting claim data-web-N")
    func podAndClaims() throws {
        let set = try StatefulSet(json: Self.setJSON(whenDeleted: "Delete"))
        let owner = ControllerOwner(apiVersion: "apps/v1", kind: "StatefulSet", metadata: set.metadata)
        let pod = StatefulPods.pod(of: set, owner: owner, template: set.template, ordinal: 1, revision: "web-a")
        #expect(pod["metadata"]["name"] == "web-1")
        #expect(pod["spec"]["hostname"] == "web-1" && pod["spec"]["subdomain"] == "nginx")
        #expect(pod["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"] == "web-1")
        #expect(pod["spec"]["volumes"] == [["name": "data", "persistentVolumeClaim": ["claimName": "data-web-1"]]])
        let claims = StatefulPods.claims(of: set, owner: owner, ordinal: 1)
        #expect(claims.map { $0["metadata"]["name"] } == ["data-web-1"])
        #expect(claims[0]["metadata"]["labels"]["app"] == "web")
        #expect(claims[0]["metadata"]["ownerReferences"][0]["uid"] == "sts-uid")
        #expect(StatefulPods.claims(of: try StatefulSet(json: Self.setJSON()), owner: owner, ordinal: 1)[0]["metadata"]["ownerReferences"].isNull)
        #expect(set.ordinal(ofPod: "web-12") == 12 && set.ordinal(ofPod: "web-01") == nil && set.ordinal(ofPod: "webby-1") == nil)
    }

    func until(_ condition: () throws -> Bool) async throws -> Bool {
        for _ in 0..<500 where try !condition() { try await Task.sleep(for: .milliseconds(10)) }
        return try condition()
    }

    @Test("on a fake API: pods in order with their claims, and a deleted pod comes back under its name with the same claim")
    func controller() async throws {
        let cluster = FakeCluster()
        cluster.put(.statefulSets, Self.setJSON())
        let context = ControllerContext(client: cluster, logger: Logger(label: "test"))
        let controller = StatefulSetController(context: context)
        let running = Task {
            await withTaskGroup(of: Void.self) { group in
                for service in context.informers.runnables + [controller] { group.addTask { try? await service.run() } }
            }
        }
        defer { running.cancel() }
        func names() -> [String] { cluster.objects(.pods).compactMap { $0["metadata"]["name"].string }.sorted() }
        func markReady(_ name: String) throws {
            var pod = try #require(cluster.objects(.pods).first { $0["metadata"]["name"].string == name })
            pod["status"] = ["phase": "Running", "conditions": [["type": "Ready", "status": "True"]]]
            cluster.put(.pods, pod)
        }
        for ordinal in 0..<3 {
            #expect(try await until { names().count == ordinal + 1 })
            try await Task.sleep(for: .milliseconds(100))
            // Nothing more while the newest is not ready.
            #expect(names() == (0...ordinal).map { "web-\($0)" })
            try markReady("web-\(ordinal)")
        }
        #expect(
            cluster.writes.filter { $0.hasPrefix("create persistentvolumeclaims") } == [
                "create persistentvolumeclaims data-web-0", "create persistentvolumeclaims data-web-1", "create persistentvolumeclaims data-web-2",
            ])
        #expect(try await until { cluster.objects(.statefulSets).first?["status"]["readyReplicas"] == 3 })
        let status = try #require(cluster.objects(.statefulSets).first)["status"]
        #expect(status["currentRevision"] == status["updateRevision"] && status["currentRevision"].string?.hasPrefix("web-") == true)

        try await cluster.delete(.pods, namespace: "default", name: "web-1", uid: nil)
        #expect(try await until { names() == ["web-0", "web-1", "web-2"] })
        let recreated = try #require(cluster.objects(.pods).first { $0["metadata"]["name"] == "web-1" })
        #expect(recreated["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"] == "data-web-1")
        #expect(cluster.writes.filter { $0.hasPrefix("create persistentvolumeclaims") }.count == 3)
        #expect(cluster.objects(.persistentVolumeClaims).count == 3)
    }
}
