import Foundation
import SkiffAPI
import SkiffClient
import Testing

@testable import SkiffControllers

/// The node lifecycle and taint eviction controllers on a fake API, with a grace period of
/// 400 ms: silent nodes turn Unknown and tainted, heartbeats (a Lease or the Ready condition)
/// keep them healthy, and NoExecute taints evict the pods that do not tolerate them (at once, or
/// when their tolerationSeconds run out).
@Suite("NodeLifecycleController and TaintEvictionController on a fake API")
struct NodeLifecycleControllerTests {
    typealias F = WorkloadFixtures

    static func node(_ name: String, ready: String = "True", heartbeat: String = "2026-12-07T00:00:00Z", taints: [Taint] = []) -> JSON {
        var node: JSON = [
            "metadata": ["name": .string(name)],
            "status": [
                "conditions": .array(
                    NodeCondition.reportedTypes.map { type in
                        NodeCondition(
                            type: type, status: type == "Ready" ? ready : "False", reason: "KubeletReady", lastHeartbeatTime: heartbeat,
                            lastTransitionTime: "2026-12-07T00:00:00Z"
                        ).json
                    })
            ],
        ]
        if !taints.isEmpty { node["spec"]["taints"] = .array(taints.map(\.json)) }
        return node
    }

    static func lease(_ node: String, renewed: String) -> JSON {
        ["metadata": ["name": .string(node), "namespace": "kube-node-lease"], "spec": ["holderIdentity": .string(node), "renewTime": .string(renewed)]]
    }

    static func pod(_ name: String, node: String = "node-1", tolerations: [Toleration] = []) -> JSON {
        var pod = F.pod(name, node: node)
        if !tolerations.isEmpty { pod["spec"]["tolerations"] = .array(tolerations.map(\.json)) }
        return pod
    }

    /// Both controllers on `cluster` until the task is cancelled.
    static func run(_ cluster: FakeCluster) -> Task<Void, Never> {
        let context = F.context(cluster)
        return F.run(
            context,
            [
                NodeLifecycleController(context: context, gracePeriod: .milliseconds(400), monitorPeriod: .milliseconds(50)),
                TaintEvictionController(context: context),
            ])
    }

    func node(_ cluster: FakeCluster, _ name: String = "node-1") throws -> KubeNode? {
        try cluster.objects(.nodes).first { $0["metadata"]["name"].string == name }.map { try KubeNode(json: $0) }
    }

    func pod(_ cluster: FakeCluster, _ name: String) throws -> Pod? {
        try cluster.objects(.pods).first { $0["metadata"]["name"].string == name }.map { try Pod(json: $0) }
    }

    @Test("a node silent past the grace period gets Unknown conditions, the unreachable taints and its pods not ready; reporting again clears the taints")
    func silentNode() async throws {
        let cluster = FakeCluster()
        cluster.put(.nodes, Self.node("node-1"))
        cluster.put(.pods, Self.pod("web", tolerations: [Toleration(key: Taint.unreachableKey, op: "Exists", effect: "NoExecute")]))
        let running = Self.run(cluster)
        defer { running.cancel() }
        #expect(try await F.until { try node(cluster)?.readyStatus == "Unknown" })
        let silent = try #require(try node(cluster))
        #expect(NodeCondition.reportedTypes.allSatisfy { silent.condition($0)?.status == "Unknown" })
        #expect(silent.condition("Ready")?.reason == "NodeStatusUnknown")
        #expect(silent.condition("Ready")?.message == "Kubelet stopped posting node status.")
        #expect(try await F.until { try node(cluster)?.taints.count == 2 })
        let taints = try #require(try node(cluster)?.taints)
        #expect(Set(taints.map { "\($0.key):\($0.effect)" }) == ["\(Taint.unreachableKey):NoSchedule", "\(Taint.unreachableKey):NoExecute"])
        #expect(taints.first { $0.effect == "NoExecute" }?.timeAdded != nil)
        #expect(try await F.until { try pod(cluster, "web")?.status.conditions.first { $0.type == "Ready" }?.status == "False" })
        // Tolerated for good: the pod stays.
        #expect(try pod(cluster, "web")?.isBeingDeleted == false)

        cluster.put(.nodes, Self.node("node-1", heartbeat: "2026-12-07T00:01:00Z", taints: taints))
        #expect(try await F.until { try node(cluster)?.taints.isEmpty == true })
        #expect(try node(cluster)?.readyStatus == "True")
    }

    @Test("Lease renewals alone keep a node healthy past the grace period")
    func leaseKeepsNodeHealthy() async throws {
        let cluster = FakeCluster()
        cluster.put(.nodes, Self.node("node-1"))
        let running = Self.run(cluster)
        defer { running.cancel() }
        for second in 0..<12 {
            cluster.put(.leases, Self.lease("node-1", renewed: "2026-12-07T00:00:\(10 + second).000000Z"))
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(try node(cluster)?.readyStatus == "True")
        #expect(try node(cluster)?.taints.isEmpty == true)
        // Silence after the last renewal: Unknown.
        #expect(try await F.until { try node(cluster)?.readyStatus == "Unknown" })
    }

    @Test("a node reporting Ready False gets the not-ready taints")
    func notReadyNode() async throws {
        let cluster = FakeCluster()
        cluster.put(.nodes, Self.node("node-1", ready: "False"))
        let running = Self.run(cluster)
        defer { running.cancel() }
        #expect(try await F.until { try node(cluster)?.taints.count == 2 })
        #expect(try node(cluster)?.taints.allSatisfy { $0.key == Taint.notReadyKey } == true)
    }

    @Test("MemoryPressure True adds the memory-pressure NoSchedule taint and False removes it; other taints stay")
    func pressureTaints() async throws {
        let cluster = FakeCluster()
        let dedicated = Taint(key: "dedicated", value: "db", effect: "NoSchedule")
        func pressured(_ status: String, taints: [Taint]) -> JSON {
            var node = Self.node("node-1", taints: taints)
            node["status"]["conditions"] = .array(
                (node["status"]["conditions"].array ?? []).map { condition in
                    var condition = condition
                    if condition["type"] == "MemoryPressure" { condition["status"] = .string(status) }
                    return condition
                })
            return node
        }
        cluster.put(.nodes, pressured("True", taints: [dedicated]))
        // A long grace period: this test is about conditions, not silence.
        let context = F.context(cluster)
        let running = F.run(context, [NodeLifecycleController(context: context, gracePeriod: .seconds(600), monitorPeriod: .milliseconds(50))])
        defer { running.cancel() }
        #expect(try await F.until { try node(cluster)?.taints.contains { $0.key == Taint.memoryPressureKey } == true })
        let tainted = try node(cluster)?.taints ?? []
        #expect(tainted.contains(dedicated))
        #expect(tainted.first { $0.key == Taint.memoryPressureKey }?.effect == "NoSchedule")
        #expect(tainted.count == 2, "no disk or pid pressure taint: \(tainted)")

        cluster.put(.nodes, pressured("False", taints: tainted))
        #expect(try await F.until { try node(cluster)?.taints == [dedicated] })
    }

    @Test("a NoExecute taint evicts an intolerant pod at once (DisruptionTarget, graceful delete) and a tolerant one when its seconds run out")
    func taintEviction() async throws {
        let cluster = FakeCluster()
        let added = Timestamp.now()
        cluster.put(.nodes, Self.node("node-1", taints: [Taint(key: "example.com/maintenance", effect: "NoExecute", timeAdded: added)]))
        cluster.put(.nodes, Self.node("node-2"))
        cluster.put(.pods, Self.pod("intolerant"))
        cluster.put(
            .pods, Self.pod("patient", tolerations: [Toleration(key: "example.com/maintenance", op: "Exists", effect: "NoExecute", tolerationSeconds: 2)]))
        cluster.put(.pods, Self.pod("forever", tolerations: [Toleration(key: "example.com/maintenance", op: "Exists", effect: "NoExecute")]))
        cluster.put(.pods, Self.pod("elsewhere", node: "node-2"))
        let context = F.context(cluster)
        let running = F.run(context, [TaintEvictionController(context: context)])
        defer { running.cancel() }
        #expect(try await F.until { try pod(cluster, "intolerant")?.isBeingDeleted == true })
        let evicted = try #require(try pod(cluster, "intolerant"))
        #expect(evicted.status.conditions.first { $0.type == "DisruptionTarget" }?.reason == "DeletionByTaintManager")
        #expect(try pod(cluster, "patient")?.isBeingDeleted == false)
        #expect(try await F.until { try pod(cluster, "patient")?.isBeingDeleted == true })
        let waited = Date().timeIntervalSince(try #require(Timestamp.parse(added)))
        #expect(waited >= 1.5, "evicted after \(waited) s of a 2 s toleration")
        #expect(try pod(cluster, "forever")?.isBeingDeleted == false)
        #expect(try pod(cluster, "elsewhere")?.isBeingDeleted == false)
        #expect(cluster.warningEvents.contains { $0["reason"] == "TaintManagerEviction" && $0["involvedObject"]["name"] == "intolerant" })
    }

    @Test("a taint removed before the toleration runs out evicts nothing")
    func taintRemovedInTime() async throws {
        let cluster = FakeCluster()
        cluster.put(.nodes, Self.node("node-1", taints: [Taint(key: "example.com/maintenance", effect: "NoExecute", timeAdded: Timestamp.now())]))
        // timeAdded has whole seconds, so the toleration may have up to a second less left.
        cluster.put(
            .pods, Self.pod("patient", tolerations: [Toleration(key: "example.com/maintenance", op: "Exists", effect: "NoExecute", tolerationSeconds: 2)]))
        let context = F.context(cluster)
        let running = F.run(context, [TaintEvictionController(context: context)])
        defer { running.cancel() }
        try await Task.sleep(for: .milliseconds(200))
        cluster.put(.nodes, Self.node("node-1"))
        try await Task.sleep(for: .milliseconds(2500))
        #expect(try pod(cluster, "patient")?.isBeingDeleted == false)
        #expect(!cluster.writes.contains { $0.hasPrefix("delete pods") })
    }

    @Test("NoExecuteTolerance: an untolerated taint evicts now, the first matching toleration's seconds count from the taint, none means stay")
    func tolerance() {
        let since = Date(timeIntervalSince1970: 1000)
        let taints = [Taint(key: "a", effect: "NoExecute"), Taint(key: "b", effect: "NoExecute"), Taint(key: "c", effect: "NoSchedule")]
        let judge = { (tolerations: [Toleration]) in NoExecuteTolerance.judge(tolerations: tolerations, taints: taints) { _ in since } }
        #expect(judge([Toleration(key: "a", effect: "NoExecute")]) == .evictNow)
        #expect(judge([Toleration(key: "", op: "Exists", effect: "")]) == .stay)
        #expect(
            judge([
                Toleration(key: "a", effect: "NoExecute", tolerationSeconds: 30),
                Toleration(key: "b", op: "Exists", effect: "NoExecute", tolerationSeconds: 10),
            ])
                == .evict(at: since.addingTimeInterval(10)))
        #expect(judge([Toleration(key: "a", effect: "NoExecute"), Toleration(key: "b", effect: "NoExecute", tolerationSeconds: -5)]) == .evict(at: since))
        #expect(NoExecuteTolerance.judge(tolerations: [], taints: [Taint(key: "c", effect: "NoSchedule")]) { _ in since } == .stay)
    }
}
