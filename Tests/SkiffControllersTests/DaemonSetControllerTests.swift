import Foundation
import Logging
import SkiffAPI
import SkiffClient
import Testing

@testable import SkiffControllers

@Suite("DaemonSet controller")
struct DaemonSetControllerTests {
    static func node(_ name: String, labels: [String: String] = [:], taints: [JSON] = [], ready: Bool = true) throws -> KubeNode {
        try KubeNode(json: nodeJSON(name, labels: labels, taints: taints, ready: ready))
    }

    static func nodeJSON(_ name: String, labels: [String: String] = [:], taints: [JSON] = [], ready: Bool = true) -> JSON {
        [
            "metadata": ["name": .string(name), "labels": JSON(stringMap: labels.merging(["kubernetes.io/hostname": name]) { a, _ in a })],
            "spec": ["taints": .array(taints)],
            "status": ["conditions": [["type": "Ready", "status": .string(ready ? "True" : "False")]]],
        ]
    }

    static func daemonSetJSON(
        nodeSelector: [String: String] = [:], tolerations: [JSON] = [], hostNetwork: Bool = false, strategy: JSON = .null, image: String = "pause:1"
    ) -> JSON {
        var spec: JSON = ["containers": [["name": "main", "image": .string(image)]]]
        if !nodeSelector.isEmpty { spec["nodeSelector"] = JSON(stringMap: nodeSelector) }
        if !tolerations.isEmpty { spec["tolerations"] = .array(tolerations) }
        if hostNetwork { spec["hostNetwork"] = true }
        var daemonSet: JSON = [
            "apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": ["name": "agent", "namespace": "default", "uid": "ds-uid", "generation": 1],
            "spec": ["selector": ["matchLabels": ["app": "agent"]], "template": ["metadata": ["labels": ["app": "agent"]], "spec": spec]],
        ]
        if !strategy.isNull { daemonSet["spec"]["updateStrategy"] = strategy }
        return daemonSet
    }

    /// A pod of the DaemonSet on `node` at revision `hash`.
    static func pod(
        _ name: String, node: String, hash: String, ready: Bool = true, phase: String = "Running", created: String = "2026-12-07T00:00:00Z"
    )
        throws -> Pod
    {
        try Pod(json: [
            "metadata": [
                "name": .string(name), "namespace": "default", "uid": .string("uid-\(name)"), "creationTimestamp": .string(created),
                "labels": ["app": "agent", "controller-revision-hash": .string(hash)],
                "ownerReferences": [["apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent", "uid": "ds-uid", "controller": true]],
            ],
            "spec": ["nodeName": .string(node), "containers": [["name": "main", "image": "pause:1"]]],
            "status": ["phase": .string(phase), "conditions": [["type": "Ready", "status": .string(ready ? "True" : "False")]]],
        ])
    }

    @Test("eligibility follows nodeSelector, untolerated taints, and the tolerations every daemon pod gets")
    func eligibility() throws {
        let plain = try DaemonSet(json: Self.daemonSetJSON(nodeSelector: ["role": "edge"]))
        let placement = DaemonPods.placement(of: plain)
        func decide(_ node: KubeNode, _ daemonSet: DaemonSet = plain) -> (Bool, Bool) {
            let result = DaemonPods.eligibility(of: node, placement: DaemonPods.placement(of: daemonSet), daemonSet: daemonSet)
            return (result.shouldRun, result.shouldContinueRunning)
        }
        #expect(decide(try Self.node("a", labels: ["role": "edge"])) == (true, true))
        #expect(decide(try Self.node("b")) == (false, false))
        // The defaults: cordoned, under pressure, not ready or unreachable nodes keep their daemons.
        for taint: JSON in [
            ["key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"], ["key": "node.kubernetes.io/disk-pressure", "effect": "NoSchedule"],
            ["key": "node.kubernetes.io/not-ready", "effect": "NoExecute"], ["key": "node.kubernetes.io/unreachable", "effect": "NoExecute"],
        ] {
            #expect(decide(try Self.node("c", labels: ["role": "edge"], taints: [taint])) == (true, true))
        }
        #expect(placement.tolerations.contains { $0.key == "node.kubernetes.io/not-ready" && $0.tolerationSeconds == nil })
        // An untolerated NoSchedule taint keeps new pods off but lets a running one stay; NoExecute evicts.
        let dedicated: JSON = ["key": "dedicated", "value": "db", "effect": "NoSchedule"]
        #expect(decide(try Self.node("d", labels: ["role": "edge"], taints: [dedicated])) == (false, true))
        let evicting: JSON = ["key": "dedicated", "value": "db", "effect": "NoExecute"]
        #expect(decide(try Self.node("e", labels: ["role": "edge"], taints: [evicting])) == (false, false))
        let tolerant = try DaemonSet(json: Self.daemonSetJSON(tolerations: [["key": "dedicated", "operator": "Equal", "value": "db"]]))
        #expect(decide(try Self.node("e", taints: [evicting]), tolerant) == (true, true))
        // The pod network's own daemons (host network) run before the node has a pod network.
        let network: JSON = ["key": "node.kubernetes.io/network-unavailable", "effect": "NoSchedule"]
        #expect(decide(try Self.node("f", taints: [network]), tolerant) == (false, true))
        #expect(decide(try Self.node("f", taints: [network]), try DaemonSet(json: Self.daemonSetJSON(hostNetwork: true))) == (true, true))
    }

    @Test("a daemon pod is pinned to its node by a required node affinity on metadata.name, with the template's labels and the revision hash")
    func podForNode() throws {
        let daemonSet = try DaemonSet(
            json: Self.daemonSetJSON(tolerations: [
                ["key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300]
            ]))
        let owner = ControllerOwner(apiVersion: "apps/v1", kind: "DaemonSet", metadata: daemonSet.metadata)
        let json = DaemonPods.pod(of: daemonSet, owner: owner, node: "node-2", hash: "abc")
        #expect(json["metadata"]["generateName"] == "agent-")
        #expect(json["metadata"]["labels"]["controller-revision-hash"] == "abc")
        #expect(
            json["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]["matchFields"][0]["values"] == [
                "node-2"
            ])
        let tolerations = (json["spec"]["tolerations"].array ?? []).map(Toleration.init)
        // The template's not-ready toleration is replaced by the default without tolerationSeconds.
        #expect(tolerations.filter { $0.key == "node.kubernetes.io/not-ready" }.map(\.tolerationSeconds) == [nil])
        #expect(tolerations.count == DaemonPods.defaultTolerations.count)
        var stored = json
        stored["metadata"]["name"] = "agent-x"
        #expect(DaemonPods.targetNode(of: try Pod(json: stored)) == "node-2")
    }

    @Test("the plan creates on eligible nodes without a pod, deletes misscheduled and orphaned pods, and counts the status")
    func plan() throws {
        let daemonSet = try DaemonSet(json: Self.daemonSetJSON(nodeSelector: ["role": "edge"]))
        let nodes = [try Self.node("a", labels: ["role": "edge"]), try Self.node("b", labels: ["role": "edge"]), try Self.node("c")]
        let pods = [
            try Self.pod("on-a", node: "a", hash: "h1"), try Self.pod("on-c", node: "c", hash: "h1"), try Self.pod("on-gone", node: "gone", hash: "h1"),
            try Self.pod("on-a-2", node: "a", hash: "h1", created: "2026-12-07T00:01:00Z"),
        ]
        let plan = DaemonSetPlan(daemonSet: daemonSet, hash: "h1", nodes: nodes, pods: pods, now: Date())
        #expect(plan.createOn == ["b"])
        #expect(Set(plan.delete.map(\.name)) == ["on-c", "on-gone", "on-a-2"])
        #expect(plan.status.desiredNumberScheduled == 2)
        #expect(plan.status.currentNumberScheduled == 1)
        #expect(plan.status.numberMisscheduled == 1)
        #expect(plan.status.numberReady == 1 && plan.status.numberAvailable == 1 && plan.status.numberUnavailable == 1)
        #expect(plan.status.updatedNumberScheduled == 1)
    }

    @Test("a rolling update never has more than maxUnavailable nodes without an available pod")
    func rollingUpdateUnavailable() throws {
        let daemonSet = try DaemonSet(json: Self.daemonSetJSON(strategy: ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": "40%"]]))
        let nodes = try (1...5).map { try Self.node("n\($0)") }
        var pods = try (1...5).map { try Self.pod("old-\($0)", node: "n\($0)", hash: "old") }
        // 40 % of 5 rounds up to 2: two old pods go at once.
        var plan = DaemonSetPlan(daemonSet: daemonSet, hash: "new", nodes: nodes, pods: pods, now: Date())
        #expect(plan.delete.map(\.name) == ["old-1", "old-2"])
        #expect(plan.createOn.isEmpty)
        // n1 got its new pod (not ready yet), n2's old pod is gone: both unavailable, nothing more to delete.
        pods[0] = try Self.pod("new-1", node: "n1", hash: "new", ready: false)
        pods.remove(at: 1)
        plan = DaemonSetPlan(daemonSet: daemonSet, hash: "new", nodes: nodes, pods: pods, now: Date())
        #expect(plan.delete.isEmpty)
        #expect(plan.createOn == ["n2"])
        // n1's new pod is ready: one more old pod may go; an old pod that is not ready goes anyway.
        pods[0] = try Self.pod("new-1", node: "n1", hash: "new")
        pods[3] = try Self.pod("old-5", node: "n5", hash: "old", ready: false)
        plan = DaemonSetPlan(daemonSet: daemonSet, hash: "new", nodes: nodes, pods: pods, now: Date())
        #expect(Set(plan.delete.map(\.name)) == ["old-5"])
        #expect(plan.status.updatedNumberScheduled == 1)
        // OnDelete: nothing is replaced.
        let onDelete = try DaemonSet(json: Self.daemonSetJSON(strategy: ["type": "OnDelete"]))
        let untouched = DaemonSetPlan(
            daemonSet: onDelete, hash: "new", nodes: nodes, pods: try (1...5).map { try Self.pod("old-\($0)", node: "n\($0)", hash: "old") }, now: Date())
        #expect(untouched.delete.isEmpty && untouched.createOn.isEmpty)
    }

    @Test("with maxSurge a new pod starts beside the old one on at most maxSurge nodes, and the old one goes once the new one is available")
    func rollingUpdateSurge() throws {
        let daemonSet = try DaemonSet(json: Self.daemonSetJSON(strategy: ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": 0, "maxSurge": 1]]))
        let nodes = try (1...3).map { try Self.node("n\($0)") }
        var pods = try (1...3).map { try Self.pod("old-\($0)", node: "n\($0)", hash: "old") }
        var plan = DaemonSetPlan(daemonSet: daemonSet, hash: "new", nodes: nodes, pods: pods, now: Date())
        #expect(plan.createOn == ["n1"])
        #expect(plan.delete.isEmpty)
        pods.append(try Self.pod("new-1", node: "n1", hash: "new", ready: false, created: "2026-12-07T00:01:00Z"))
        plan = DaemonSetPlan(daemonSet: daemonSet, hash: "new", nodes: nodes, pods: pods, now: Date())
        #expect(plan.createOn.isEmpty && plan.delete.isEmpty)
        pods[3] = try Self.pod("new-1", node: "n1", hash: "new", created: "2026-12-07T00:01:00Z")
        plan = DaemonSetPlan(daemonSet: daemonSet, hash: "new", nodes: nodes, pods: pods, now: Date())
        // …and the next node's surge starts in the same sync.
        #expect(plan.delete.map(\.name) == ["old-1"])
        #expect(plan.createOn == ["n2"])
    }

    func until(_ condition: () throws -> Bool) async throws -> Bool {
        for _ in 0..<500 where try !condition() { try await Task.sleep(for: .milliseconds(10)) }
        return try condition()
    }

    @Test("on a fake API: a pod per node, one more for a node that joins, a failed pod replaced, revisions and status written")
    func controller() async throws {
        let cluster = FakeCluster()
        cluster.put(.nodes, Self.nodeJSON("n1"))
        cluster.put(.nodes, Self.nodeJSON("n2"))
        cluster.put(.daemonSets, Self.daemonSetJSON())
        let context = ControllerContext(client: cluster, logger: Logger(label: "test"))
        let controller = DaemonSetController(context: context)
        let running = Task {
            await withTaskGroup(of: Void.self) { group in
                for service in context.informers.runnables + [controller] { group.addTask { try? await service.run() } }
            }
        }
        defer { running.cancel() }
        func podNodes() -> [String] {
            cluster.objects(.pods).compactMap {
                $0["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]["matchFields"][0]["values"][0]
                    .string
            }.sorted()
        }
        #expect(try await until { podNodes() == ["n1", "n2"] })
        #expect(cluster.objects(.controllerRevisions).count == 1)
        let revision = try ControllerRevision(json: cluster.objects(.controllerRevisions)[0])
        #expect(revision.revision == 1 && revision.metadata.name == "agent-\(revision.hash ?? "")")
        #expect(cluster.objects(.pods).allSatisfy { $0["metadata"]["labels"]["controller-revision-hash"].string == revision.hash })
        #expect(try await until { cluster.objects(.daemonSets).first?["status"]["desiredNumberScheduled"] == 2 })

        cluster.put(.nodes, Self.nodeJSON("n3"))
        #expect(try await until { podNodes() == ["n1", "n2", "n3"] })

        // The kubelet reports n1's pod Failed: it is deleted and a new one made.
        var failed = try #require(
            cluster.objects(.pods).first {
                $0["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]["matchFields"][0]["values"][0]
                    == "n1"
            })
        let failedName = failed["metadata"]["name"].string
        failed["status"] = ["phase": "Failed"]
        cluster.put(.pods, failed)
        #expect(try await until { podNodes() == ["n1", "n2", "n3"] && !cluster.objects(.pods).contains { $0["metadata"]["name"].string == failedName } })

        // Every pod reports Ready, then a new template: a second revision, and (maxUnavailable 1)
        // the pods are replaced one node at a time.
        for var pod in cluster.objects(.pods) {
            pod["status"] = ["phase": "Running", "conditions": [["type": "Ready", "status": "True"]]]
            cluster.put(.pods, pod)
        }
        #expect(try await until { cluster.objects(.daemonSets).first?["status"]["numberReady"] == 3 })
        let deletesBefore = cluster.writes.filter { $0.hasPrefix("delete pods") }.count
        var changed = try #require(cluster.objects(.daemonSets).first)
        changed["spec"]["template"]["spec"]["containers"][0]["image"] = "pause:2"
        changed["metadata"]["generation"] = 2
        cluster.put(.daemonSets, changed)
        #expect(try await until { cluster.objects(.controllerRevisions).count == 2 })
        #expect(try await until { cluster.objects(.pods).contains { $0["spec"]["containers"][0]["image"] == "pause:2" } })
        // Nothing reports the new pod ready, so the rollout stops at the first node.
        try await Task.sleep(for: .milliseconds(300))
        #expect(cluster.writes.filter { $0.hasPrefix("delete pods") }.count == deletesBefore + 1)
        #expect(cluster.objects(.pods).filter { $0["spec"]["containers"][0]["image"] == "pause:2" }.count == 1)
    }
}
