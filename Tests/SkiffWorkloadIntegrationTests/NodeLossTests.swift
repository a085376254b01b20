import Foundation
import SkiffTestSupport
import Testing

/// A host dies under a Deployment and a StatefulSet, on `scripts/cluster` hosts with short
/// node-monitor and toleration settings: the node turns Unknown and tainted, its pods are
/// evicted and the Deployment is whole again on the other hosts within grace + toleration +
/// 10 s; the StatefulSet's ordinal there is not started elsewhere while its pod is unconfirmed;
/// when the host comes back it runs none of the evicted pods.
@Suite("Node loss (root, multi-host)", .serialized)
struct NodeLossTests {
    static let grace = 20
    static let toleration = 5

    static let manifests = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: survivor}
        spec:
          replicas: 6
          selector: {matchLabels: {app: survivor}}
          template:
            metadata: {labels: {app: survivor}}
            spec:
              terminationGracePeriodSeconds: 1
              containers: [{name: c, image: busybox, command: [sleep, "3600"]}]
        ---
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: db}
        spec:
          replicas: 3
          podManagementPolicy: Parallel
          serviceName: db
          selector: {matchLabels: {app: db}}
          template:
            metadata: {labels: {app: db}}
            spec:
              terminationGracePeriodSeconds: 1
              affinity:
                podAntiAffinity:
                  requiredDuringSchedulingIgnoredDuringExecution:
                  - labelSelector: {matchLabels: {app: db}}
                    topologyKey: kubernetes.io/hostname
              containers: [{name: c, image: busybox, command: [sleep, "3600"]}]
        """

    struct PodView {
        let name: String
        let uid: String
        let node: String
        let deleting: Bool
        let ready: Bool

        init(_ pod: [String: Any]) {
            let metadata = pod["metadata"] as? [String: Any] ?? [:]
            name = metadata["name"] as? String ?? ""
            uid = metadata["uid"] as? String ?? ""
            deleting = metadata["deletionTimestamp"] != nil
            node = (pod["spec"] as? [String: Any])?["nodeName"] as? String ?? ""
            let conditions = (pod["status"] as? [String: Any])?["conditions"] as? [[String: Any]] ?? []
            ready = conditions.contains { $0["type"] as? String == "Ready" && $0["status"] as? String == "True" }
        }
    }

    static func pods(_ kube: Workloads, _ app: String) async throws -> [PodView] {
        try await kube.items("pods", selector: "app=\(app)").map(PodView.init)
    }

    @Test(
        "a killed host's Deployment pods are replaced elsewhere within grace + toleration + 10 s, its StatefulSet ordinal is not duplicated, and back up it runs none of them"
    )
    func hostLoss() async throws {
        try await TestCluster.with(
            nodes: 3,
            serverArguments: Workloads.shortNodeLifecycle(grace: Self.grace, toleration: Self.toleration)
        ) { cluster in try await Self.loseAHost(Workloads(cluster: cluster)) }
    }

    static func loseAHost(_ kube: Workloads) async throws {
        let cluster = kube.cluster
        try await kube.apply(Self.manifests)
        try await kube.kubectl("rollout", "status", "deployment/survivor", "--timeout=180s")
        try await kube.eventually("the StatefulSet's 3 pods ready", timeout: 180) {
            try await Self.pods(kube, "db").filter(\.ready).count == 3
        }
        // The host with the most Deployment pods (each host has one db ordinal).
        let before = try await Self.pods(kube, "survivor")
        let victim = try #require(Dictionary(grouping: before, by: \.node).max { $0.value.count < $1.value.count }?.key)
        let doomed = before.filter { $0.node == victim }
        let ordinal = try #require(try await Self.pods(kube, "db").first { $0.node == victim })
        #expect(!doomed.isEmpty)

        try await cluster.killNode(victim)
        let killed = Date()
        try await kube.eventually("the Deployment whole on the other hosts", timeout: 120) {
            let pods = try await Self.pods(kube, "survivor").filter { !$0.deleting }
            return pods.count == 6 && pods.allSatisfy { $0.ready && $0.node != victim }
        }
        let healed = Date().timeIntervalSince(killed)
        #expect(healed <= Double(Self.grace + Self.toleration + 10), "whole again after \(healed) s")
        print("node loss: Deployment whole again \(String(format: "%.1f", healed)) s after the kill")

        let node = try await kube.json("get", "node", victim)
        let conditions = (node["status"] as? [String: Any])?["conditions"] as? [[String: Any]] ?? []
        #expect(conditions.first { $0["type"] as? String == "Ready" }?["status"] as? String == "Unknown")
        let taints = ((node["spec"] as? [String: Any])?["taints"] as? [[String: Any]] ?? []).map { "\($0["key"] ?? ""):\($0["effect"] ?? "")" }
        #expect(Set(taints) == ["node.kubernetes.io/unreachable:NoSchedule", "node.kubernetes.io/unreachable:NoExecute"])
        // Evicted, but unconfirmed: the ordinal's pod stays (being deleted) on the dead host
        // and no second one runs elsewhere.
        let db = try await Self.pods(kube, "db")
        let stranded = db.filter { $0.name == ordinal.name }
        #expect(stranded.count == 1 && stranded.first?.uid == ordinal.uid && stranded.first?.deleting == true)
        #expect(db.count == 3)
        let reasons = try await kube.items("events").filter { ($0["reason"] as? String) == "TaintManagerEviction" }
        #expect(reasons.count >= doomed.count + 1)

        try await cluster.startNode(victim)
        try await kube.eventually("the host Ready and untainted again", timeout: 90) {
            let node = try await kube.json("get", "node", victim)
            let conditions = (node["status"] as? [String: Any])?["conditions"] as? [[String: Any]] ?? []
            let ready = conditions.first { $0["type"] as? String == "Ready" }?["status"] as? String == "True"
            return ready && ((node["spec"] as? [String: Any])?["taints"] as? [Any] ?? []).isEmpty
        }
        let evicted = Set(doomed.map(\.uid) + [ordinal.uid])
        try await kube.eventually("the evicted pods gone", timeout: 90) {
            let deployment = try await Self.pods(kube, "survivor")
            let statefulSet = try await Self.pods(kube, "db")
            return Set((deployment + statefulSet).map(\.uid)).isDisjoint(with: evicted)
        }
        try await kube.eventually("the StatefulSet whole again", timeout: 120) {
            try await Self.pods(kube, "db").filter { $0.ready && !$0.deleting }.count == 3
        }
        let survivors = try await Self.pods(kube, "survivor")
        #expect(survivors.count == 6 && survivors.allSatisfy { !evicted.contains($0.uid) })
        // The host's own view: no process in the cgroup of an evicted pod.
        for uid in evicted {
            let script = "find /sys/fs/cgroup/pids/skiff-cluster/\(victim) -path '*pod\(uid)*' -name cgroup.procs -exec cat {} +"
            let processes = try await cluster.exec(on: victim, ["sh", "-c", script])
            #expect(processes.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "pod \(uid) still runs on \(victim)")
        }
    }
}
