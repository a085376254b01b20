/// Where a pod spec lets its pod run: its nodeSelector, its required node affinity and its
/// tolerations, judged against a node as kube-scheduler's NodeAffinity and TaintToleration
/// filters judge them. The DaemonSet controller decides with it which nodes get a pod.
public struct NodePlacement: Sendable, Equatable {
    public let nodeSelector: [String: String]
    /// ORed terms, each ANDing its expressions; empty: any node.
    public let requiredTerms: [NodeSelectorTerm]
    public var tolerations: [Toleration]

    public init(podSpec spec: JSON) {
        nodeSelector = spec["nodeSelector"].stringMap
        requiredTerms = NodeSelectorTerm.required(inPodSpec: spec)
        tolerations = (spec["tolerations"].array ?? []).map(Toleration.init)
    }

    /// Whether the node's labels and name satisfy the nodeSelector and the required node affinity.
    public func selects(labels: [String: String], nodeName: String) -> Bool {
        for (key, value) in nodeSelector where labels[key] != value { return false }
        if !requiredTerms.isEmpty && !requiredTerms.contains(where: { $0.matches(labels: labels, nodeName: nodeName) }) { return false }
        return true
    }

    /// The node's NoSchedule and NoExecute taints no toleration lets the pod past.
    public func untoleratedTaints(_ taints: [Taint]) -> [Taint] {
        taints.filter { taint in taint.repelsScheduling && !tolerations.contains { $0.tolerates(taint) } }
    }
}
