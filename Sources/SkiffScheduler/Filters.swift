import SkiffAPI

/// The scheduling filters, each returning why a node cannot take the pod (or nil if it can).
/// Reasons use kube-scheduler's wording so FailedScheduling events read the same.
public enum Filters {
    public typealias Filter = @Sendable (PodInfo, NodeInfo) -> String?

    public static let all: [Filter] = [nodeReady, nodeUnschedulable, nodeSelector, volumeNodeAffinity, taints, resources, hostPorts, antiAffinity]

    public static let nodeReady: Filter = { _, node in node.ready ? nil : "node(s) were not ready" }

    public static let nodeUnschedulable: Filter = { pod, node in
        guard node.unschedulable else { return nil }
        let unschedulableTaint = Taint(key: "node.kubernetes.io/unschedulable", value: "", effect: "NoSchedule")
        return pod.tolerations.contains { $0.tolerates(unschedulableTaint) } ? nil : "node(s) were unschedulable"
    }

    /// nodeSelector and required node affinity.
    public static let nodeSelector: Filter = { pod, node in
        for (key, value) in pod.nodeSelector where node.labels[key] != value {
            return "node(s) didn't match Pod's node affinity/selector"
        }
        if !pod.requiredNodeTerms.isEmpty && !pod.requiredNodeTerms.contains(where: { $0.matches(labels: node.labels, nodeName: node.name) }) {
            return "node(s) didn't match Pod's node affinity/selector"
        }
        return nil
    }

    /// A bound PersistentVolume that lives on some nodes only (a local directory) pins its pods there.
    public static let volumeNodeAffinity: Filter = { pod, node in
        for terms in pod.volumeNodeTerms where !terms.contains(where: { $0.matches(labels: node.labels, nodeName: node.name) }) {
            return "node(s) had volume node affinity conflict"
        }
        return nil
    }

    public static let taints: Filter = { pod, node in
        for taint in node.taints where taint.effect == "NoSchedule" || taint.effect == "NoExecute" {
            if !pod.tolerations.contains(where: { $0.tolerates(taint) }) {
                return "node(s) had untolerated taint {\(taint.key): \(taint.value)}"
            }
        }
        return nil
    }

    public static let resources: Filter = { pod, node in
        if Int64(node.pods.count) + 1 > node.allocatablePods { return "Too many pods" }
        if pod.milliCPU > 0 && node.requestedMilliCPU + pod.milliCPU > node.allocatableMilliCPU { return "Insufficient cpu" }
        if pod.memory > 0 && node.requestedMemory + pod.memory > node.allocatableMemory { return "Insufficient memory" }
        return nil
    }

    public static let hostPorts: Filter = { pod, node in
        pod.hostPorts.isDisjoint(with: node.usedHostPorts) ? nil : "node(s) didn't have free ports for the requested pod ports"
    }

    /// Required pod anti-affinity with `kubernetes.io/hostname` topology, both ways: the
    /// incoming pod's terms against pods on the node, and theirs against the incoming pod.
    public static let antiAffinity: Filter = { pod, node in
        for term in pod.antiAffinity where term.topologyKey == "kubernetes.io/hostname" {
            if node.pods.values.contains(where: term.matches) { return "node(s) didn't match pod anti-affinity rules" }
        }
        for existing in node.podsWithAntiAffinity.values {
            for term in existing.antiAffinity where term.topologyKey == "kubernetes.io/hostname" && term.matches(pod) {
                return "node(s) didn't satisfy existing pods anti-affinity rules"
            }
        }
        return nil
    }
}
