import Foundation
import SkiffTestSupport
import Testing

/// The DaemonSet and StatefulSet controllers on `scripts/cluster` hosts, driven with real kubectl
/// against real agents.
@Suite("DaemonSets and StatefulSets (root, multi-host)", .serialized)
struct DaemonSetStatefulSetTests {
    @Test("a DaemonSet runs one pod per node, a node that joins later gets its own, and a new template rolls out and back")
    func daemonSet() async throws {
        try await TestCluster.with(nodes: 3) { cluster in
            let kube = Workloads(cluster: cluster)
            // node3 is off and unregistered when the DaemonSet is made: it joins later.
            try await cluster.killNode("node3")
            try await kube.kubectl("delete", "node", "node3")
            try await kube.apply(Self.daemonSet)
            try await kube.eventually("a running daemon pod on node1 and node2") { try await Self.runningNodes(kube, "app=agent") == ["node1", "node2"] }
            try await kube.eventually("the status counting two nodes") {
                let status = try await kube.json("get", "ds", "agent")["status"] as? [String: Any] ?? [:]
                return status["desiredNumberScheduled"] as? Int == 2 && status["numberReady"] as? Int == 2 && status["numberAvailable"] as? Int == 2
            }
            try await cluster.startNode("node3")
            try await kube.eventually("node3's daemon pod running") { try await Self.runningNodes(kube, "app=agent") == ["node1", "node2", "node3"] }
            #expect(try await kube.items("pods", selector: "app=agent").count == 3)

            // A changed template: a second revision rolled out node by node.
            try await kube.kubectl("set", "env", "ds/agent", "ROUND=2")
            try await kube.kubectl("rollout", "status", "ds/agent", "--timeout=180s")
            let history = try await kube.kubectl("rollout", "history", "ds/agent")
            #expect(history.contains("1 ") && history.contains("2 "), "\(history)")
            let revisions = try await kube.items("controllerrevisions", selector: "app=agent")
            #expect(revisions.count == 2)
            let pods = try await kube.items("pods", selector: "app=agent").filter { ($0["metadata"] as? [String: Any])?["deletionTimestamp"] == nil }
            let hashes = Set(pods.compactMap { (($0["metadata"] as? [String: Any])?["labels"] as? [String: String])?["controller-revision-hash"] })
            #expect(hashes.count == 1 && pods.count == 3, "\(hashes)")

            // Back to the first template, through its ControllerRevision.
            try await kube.kubectl("rollout", "undo", "ds/agent")
            try await kube.kubectl("rollout", "status", "ds/agent", "--timeout=180s")
            let env = try await kube.kubectl("get", "ds", "agent", "-o", "jsonpath={.spec.template.spec.containers[0].env}")
            #expect(!env.contains("ROUND"), "\(env)")
            try await kube.eventually("three running pods of the first template") {
                let pods = try await kube.items("pods", selector: "app=agent")
                return pods.count == 3
                    && pods.allSatisfy { pod in
                        (pod["status"] as? [String: Any])?["phase"] as? String == "Running"
                            && !"\((pod["spec"] as? [String: Any])?["containers"] ?? "")".contains("ROUND")
                    }
            }
        }
    }

    @Test(
        "a StatefulSet of 3 comes up web-0, web-1, web-2 in order, each with its claim; their DNS names resolve from another pod; a deleted web-1 comes back as web-1 with its data"
    )
    func statefulSet() async throws {
        try await TestCluster.with(nodes: 2) { cluster in
            let kube = Workloads(cluster: cluster)
            try await kube.apply(Self.statefulSet)
            try await kube.eventually("three ready pods") {
                let pods = try await kube.items("pods", selector: "app=web")
                return pods.count == 3 && pods.allSatisfy(Self.isReady)
            }
            // In order: each pod was created only after the one before it was Ready.
            var previousReady: Date?
            for ordinal in 0..<3 {
                let pod = try await kube.json("get", "pod", "web-\(ordinal)")
                let metadata = pod["metadata"] as? [String: Any] ?? [:]
                let created = try #require((metadata["creationTimestamp"] as? String).flatMap(Self.date))
                if let previousReady {
                    #expect(created >= previousReady, "web-\(ordinal) was created at \(created), before web-\(ordinal - 1) was ready at \(previousReady)")
                }
                let conditions = (pod["status"] as? [String: Any])?["conditions"] as? [[String: Any]] ?? []
                previousReady = (conditions.first { $0["type"] as? String == "Ready" }?["lastTransitionTime"] as? String).flatMap(Self.date)
                let spec = pod["spec"] as? [String: Any] ?? [:]
                #expect(spec["hostname"] as? String == "web-\(ordinal)" && spec["subdomain"] as? String == "nginx")
            }
            try await kube.kubectl("rollout", "status", "sts/web", "--timeout=60s")

            // The headless Service's per-pod names, from a pod on the cluster DNS.
            try await kube.eventually("the client pod running") {
                (try await kube.json("get", "pod", "client")["status"] as? [String: Any])?["phase"] as? String == "Running"
            }
            for ordinal in 0..<3 {
                let ip = try await kube.kubectl("get", "pod", "web-\(ordinal)", "-o", "jsonpath={.status.podIP}")
                try await kube.eventually("web-\(ordinal).nginx resolving to \(ip)", timeout: 30) {
                    let answer = try await cluster.kubectl(["exec", "client", "--", "nslookup", "web-\(ordinal).nginx.default.svc.cluster.local"])
                    return answer.stdout.contains("Address: \(ip)") || answer.stdout.contains("Address 1: \(ip)")
                }
            }
            #expect(try await kube.kubectl("exec", "web-1", "--", "hostname").trimmingCharacters(in: .whitespacesAndNewlines) == "web-1")

            // Each ordinal has its own claim (data-web-N), bound by the default local-path class.
            for ordinal in 0..<3 {
                #expect(try await kube.kubectl("get", "pvc", "data-web-\(ordinal)", "-o", "jsonpath={.status.phase}") == "Bound")
            }
            try await kube.kubectl("exec", "web-1", "--", "sh", "-c", "echo web-1-data > /data/file")

            // web-1 deleted: the same name comes back, a new pod, with the same claim and its data.
            let oldUID = try await kube.kubectl("get", "pod", "web-1", "-o", "jsonpath={.metadata.uid}")
            try await kube.kubectl("delete", "pod", "web-1", "--wait=false")
            try await kube.eventually("web-1 back and ready") {
                let pod = try await kube.json("get", "pods", "-l", "statefulset.kubernetes.io/pod-name=web-1")
                let items = pod["items"] as? [[String: Any]] ?? []
                return items.count == 1 && (items[0]["metadata"] as? [String: Any])?["uid"] as? String != oldUID && Self.isReady(items[0])
            }
            #expect(try await kube.kubectl("exec", "web-1", "--", "cat", "/data/file") == "web-1-data\n")
            #expect(try await kube.items("pvc").count == 3)
            let status = try await kube.json("get", "sts", "web")["status"] as? [String: Any] ?? [:]
            #expect(status["currentRevision"] as? String == status["updateRevision"] as? String)
            try await kube.eventually("the status counting three ready replicas") {
                (try await kube.json("get", "sts", "web")["status"] as? [String: Any])?["readyReplicas"] as? Int == 3
            }
        }
    }

    static func isReady(_ pod: [String: Any]) -> Bool {
        let conditions = (pod["status"] as? [String: Any])?["conditions"] as? [[String: Any]] ?? []
        return conditions.contains { $0["type"] as? String == "Ready" && $0["status"] as? String == "True" }
    }

    static func date(_ text: String) -> Date? { ISO8601DateFormatter().date(from: text) }

    /// The nodes running a pod that `selector` selects, sorted.
    static func runningNodes(_ kube: Workloads, _ selector: String) async throws -> [String] {
        try await kube.items("pods", selector: selector).compactMap { pod -> String? in
            guard (pod["status"] as? [String: Any])?["phase"] as? String == "Running" else { return nil }
            return (pod["spec"] as? [String: Any])?["nodeName"] as? String
        }.sorted()
    }

    static let daemonSet = """
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {name: agent}
        spec:
          selector: {matchLabels: {app: agent}}
          template:
            metadata: {labels: {app: agent}}
            spec:
              terminationGracePeriodSeconds: 1
              containers: [{name: c, image: busybox, command: [sleep, "3600"]}]
        """

    static let statefulSet = """
        apiVersion: v1
        kind: Service
        metadata: {name: nginx}
        spec:
          clusterIP: None
          selector: {app: web}
          ports: [{port: 80}]
        ---
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: web}
        spec:
          replicas: 3
          serviceName: nginx
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: c
                image: busybox
                command: [sleep, "3600"]
                readinessProbe: {exec: {command: ["true"]}, periodSeconds: 1}
                volumeMounts: [{name: data, mountPath: /data}]
          volumeClaimTemplates:
          - metadata: {name: data}
            spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Mi}}}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: client}
        spec:
          terminationGracePeriodSeconds: 1
          containers: [{name: c, image: busybox, command: [sleep, "3600"]}]
        """
}
