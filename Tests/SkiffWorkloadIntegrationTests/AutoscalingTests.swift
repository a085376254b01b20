import Foundation
import SkiffTestSupport
import Testing

/// The horizontal pod autoscaler and disruption budgets on `scripts/cluster` hosts with real
/// agents' metrics and real kubectl: a CPU-burning Deployment scaled up to its maximum and back
/// down when it idles; `kubectl drain` held by a PodDisruptionBudget until a replica elsewhere
/// is ready.
@Suite("Autoscaling and disruption (root, multi-host)", .serialized)
struct AutoscalingTests {
    @Test(
        "an HPA scales a CPU-burning Deployment from 1 to its maximum of 3 and back to 1 once it idles, and kubectl get hpa shows the target; kubectl drain is blocked by a PDB until a replica on another node is ready"
    )
    func autoscalingAndDrain() async throws {
        try await TestCluster.with(nodes: 2) { cluster in
            let k = Workloads(cluster: cluster)
            try await autoscaling(k)
            try await drain(k, cluster: cluster)
        }
    }

    func replicas(_ k: Workloads, _ deployment: String) async throws -> Int {
        Int(try await k.kubectl("get", "deployment", deployment, "-o", "jsonpath={.spec.replicas}")) ?? -1
    }

    /// Each pod burns up to its 200m limit against a 100m request (200 % against a 50 % target):
    /// the autoscaler wants 4 and stops at maxReplicas 3. Idle pods (a rollout to `sleep`) bring
    /// it back to 1; the scale-down window is 0 so the test need not wait 5 minutes.
    func autoscaling(_ k: Workloads) async throws {
        try await k.apply(
            """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: burn}
            spec:
              replicas: 1
              selector: {matchLabels: {app: burn}}
              template:
                metadata: {labels: {app: burn}}
                spec:
                  terminationGracePeriodSeconds: 1
                  containers:
                  - name: c
                    image: busybox
                    command: [sh, -c, "while true; do :; done"]
                    resources: {requests: {cpu: 100m}, limits: {cpu: 200m}}
            ---
            apiVersion: autoscaling/v2
            kind: HorizontalPodAutoscaler
            metadata: {name: burn}
            spec:
              scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: burn}
              minReplicas: 1
              maxReplicas: 3
              metrics:
              - type: Resource
                resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
              behavior:
                scaleDown: {stabilizationWindowSeconds: 0}
            """)
        try await k.eventually("the HPA scaling burn up to 3", timeout: 180) { try await replicas(k, "burn") == 3 }
        let table = try await k.kubectl("get", "hpa", "burn")
        #expect(table.contains("Deployment/burn") && table.contains("/50%"), "\(table)")
        let events = try await k.kubectl(
            "get", "events", "--field-selector", "involvedObject.name=burn,reason=SuccessfulRescale", "-o", "jsonpath={.items[*].message}")
        #expect(events.contains("New size: 3"), "\(events)")
        let status = try await k.json("get", "hpa", "burn")["status"] as? [String: Any] ?? [:]
        #expect(status["desiredReplicas"] as? Int == 3)

        // Idle: the pods roll to sleep, usage falls to ~0 and the autoscaler goes back to 1.
        try await k.kubectl(
            "patch", "deployment", "burn", "--type=json", "-p",
            #"[{"op":"replace","path":"/spec/template/spec/containers/0/command","value":["sleep","3600"]}]"#)
        try await k.eventually("the HPA scaling burn back down to 1", timeout: 180) { try await replicas(k, "burn") == 1 }
        try await k.kubectl("delete", "hpa", "burn")
        try await k.kubectl("delete", "deployment", "burn", "--wait=false")
    }

    /// One replica and a budget of minAvailable 1: draining its node is refused (the eviction
    /// answers 429) until a second replica, placed on the other node (the drained one is
    /// cordoned), is ready; then the drain goes through.
    func drain(_ k: Workloads, cluster: TestCluster) async throws {
        try await k.apply(
            """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: guarded}
            spec:
              replicas: 1
              selector: {matchLabels: {app: guarded}}
              template:
                metadata: {labels: {app: guarded}}
                spec:
                  terminationGracePeriodSeconds: 1
                  containers:
                  - {name: c, image: busybox, command: [sleep, "3600"], readinessProbe: {exec: {command: ["true"]}, periodSeconds: 1}}
            ---
            apiVersion: policy/v1
            kind: PodDisruptionBudget
            metadata: {name: guarded}
            spec:
              minAvailable: 1
              selector: {matchLabels: {app: guarded}}
            """)
        try await k.eventually("one ready guarded pod") {
            try await k.items("pods", selector: "app=guarded").contains { pod in
                ((pod["status"] as? [String: Any])?["conditions"] as? [[String: Any]] ?? []).contains {
                    $0["type"] as? String == "Ready" && $0["status"] as? String == "True"
                }
            }
        }
        let node = try await k.kubectl("get", "pods", "-l", "app=guarded", "-o", "jsonpath={.items[0].spec.nodeName}")
        try await k.eventually("the budget observed (0 disruptions allowed)") {
            try await k.kubectl("get", "pdb", "guarded", "-o", "jsonpath={.status.expectedPods}") == "1"
        }
        let blocked = try await cluster.kubectl(["drain", node, "--ignore-daemonsets", "--timeout=15s"])
        #expect(blocked.status != 0, "the drain went through a budget allowing no disruption: \(blocked.stdout)")
        #expect(blocked.stderr.contains("disruption budget") || blocked.stdout.contains("disruption budget"), "\(blocked.stderr)")
        #expect(try await k.kubectl("get", "pods", "-l", "app=guarded", "-o", "jsonpath={.items[0].spec.nodeName}") == node)

        // A second replica goes to the other node (the drained one is cordoned); once it is ready
        // the budget allows one disruption and the drain completes.
        try await k.kubectl("scale", "deployment", "guarded", "--replicas=2")
        let drained = try await cluster.kubectl(["drain", node, "--ignore-daemonsets", "--timeout=120s"])
        #expect(drained.status == 0, "\(drained.stdout) \(drained.stderr)")
        let placed = try await k.kubectl(
            "get", "pods", "-l", "app=guarded", "--field-selector", "status.phase=Running", "-o", "jsonpath={.items[*].spec.nodeName}")
        #expect(!placed.isEmpty && !placed.split(separator: " ").contains(Substring(node)), "\(placed)")
        try await k.kubectl("uncordon", node)
    }
}
