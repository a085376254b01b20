/// A Node without a pod CIDR, as Kubernetes marks it: the `NetworkUnavailable` condition and the
/// network-unavailable NoSchedule taint, which the API server sets on a Node registered when the
/// cluster CIDR was used up and the node IPAM controller keeps in step with the Node's range.
public enum NetworkUnavailable {
    /// The NoSchedule taint a Node without a range carries, as Kubernetes' for NetworkUnavailable:
    /// no pod is scheduled to a node that could not give it an address.
    public static let taintKey = "node.kubernetes.io/network-unavailable"
    /// The component the pod CIDR events, conditions and writes come from (as kube-controller-manager's).
    public static let manager = "node-ipam-controller"

    /// Why a Node has no range, for its NetworkUnavailable condition.
    public static func cidrNotAvailableMessage(clusterCIDR: String) -> String {
        "no free /24 left in cluster CIDR \(clusterCIDR): the node gets a pod CIDR when another Node is deleted or the cluster CIDR is widened"
    }

    /// `conditions` with NetworkUnavailable set as given; its lastTransitionTime moves only when
    /// the status does, as Kubernetes' node conditions.
    public static func settingCondition(in conditions: JSON, status: String, reason: String, message: String) -> JSON {
        let now = JSON.string(Timestamp.now())
        var list = conditions.array ?? []
        let index = list.firstIndex { $0["type"].string == "NetworkUnavailable" }
        let old = index.map { list[$0] }
        let transition = old.flatMap { $0["status"].string == status ? $0["lastTransitionTime"] : nil } ?? now
        let condition: JSON = [
            "type": "NetworkUnavailable", "status": .string(status), "reason": .string(reason), "message": .string(message),
            "lastHeartbeatTime": now, "lastTransitionTime": transition,
        ]
        if let index { list[index] = condition } else { list.append(condition) }
        return .array(list)
    }

    /// `taints` with or without the network-unavailable NoSchedule taint.
    public static func settingTaint(in taints: JSON, present: Bool) -> JSON {
        if present && (taints.array ?? []).contains(where: { $0["key"].string == taintKey }) { return taints }
        var list = (taints.array ?? []).filter { $0["key"].string != taintKey }
        if present { list.append(["key": .string(taintKey), "effect": "NoSchedule", "timeAdded": .string(Timestamp.now())]) }
        return list.isEmpty ? .null : .array(list)
    }

    /// Whether the Node carries the network-unavailable taint.
    public static func hasTaint(_ node: JSON) -> Bool {
        (node["spec"]["taints"].array ?? []).contains { $0["key"].string == taintKey }
    }
}
