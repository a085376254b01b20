import Foundation
import SkiffAPI

/// What a DaemonSet's pods are and where they belong (kube-controller-manager's daemon util):
/// the template plus the tolerations every daemon pod gets, pinned to its node by a required
/// node affinity on `metadata.name` so the scheduler binds it there and nowhere else.
enum DaemonPods {
    /// The tolerations Kubernetes adds to every daemon pod: a daemon stays on a node that is not
    /// ready or unreachable (no `tolerationSeconds`, so never evicted for it), and lands on nodes
    /// under resource pressure or cordoned, where it is usually what relieves or drains them.
    static let defaultTolerations: [Toleration] = [
        Toleration(key: "node.kubernetes.io/not-ready", op: "Exists", effect: "NoExecute"),
        Toleration(key: "node.kubernetes.io/unreachable", op: "Exists", effect: "NoExecute"),
        Toleration(key: "node.kubernetes.io/disk-pressure", op: "Exists", effect: "NoSchedule"),
        Toleration(key: "node.kubernetes.io/memory-pressure", op: "Exists", effect: "NoSchedule"),
        Toleration(key: "node.kubernetes.io/pid-pressure", op: "Exists", effect: "NoSchedule"),
        Toleration(key: "node.kubernetes.io/unschedulable", op: "Exists", effect: "NoSchedule"),
    ]
    /// Only host-network daemons (the network plugin itself) may run before the pod network is up.
    static let hostNetworkToleration = Toleration(key: "node.kubernetes.io/network-unavailable", op: "Exists", effect: "NoSchedule")

    /// The template's tolerations with the defaults added, each replacing a template toleration
    /// of the same key, operator, value and effect (as Kubernetes updates them).
    static func tolerations(of template: PodTemplate) -> [Toleration] {
        var tolerations = (template.json["spec"]["tolerations"].array ?? []).map(Toleration.init)
        var defaults = defaultTolerations
        if template.json["spec"]["hostNetwork"].bool == true { defaults.append(hostNetworkToleration) }
        for toleration in defaults {
            if let index = tolerations.firstIndex(where: {
                $0.key == toleration.key && $0.op == toleration.op && $0.value == toleration.value && $0.effect == toleration.effect
            }) {
                tolerations[index] = toleration
            } else {
                tolerations.append(toleration)
            }
        }
        return tolerations
    }

    /// Where the DaemonSet's pods may run: the template's selector and affinity, and its
    /// tolerations with the defaults.
    static func placement(of daemonSet: DaemonSet) -> NodePlacement {
        var placement = NodePlacement(podSpec: daemonSet.template.json["spec"])
        placement.tolerations = tolerations(of: daemonSet.template)
        return placement
    }

    /// Whether `node` should get a daemon pod, and whether one already there may stay
    /// (NodeShouldRunDaemonPod): a node whose labels do not match gets none and keeps none; an
    /// untolerated NoSchedule taint keeps new pods off but lets a running one stay; an
    /// untolerated NoExecute taint evicts it.
    static func eligibility(of node: KubeNode, placement: NodePlacement, daemonSet: DaemonSet) -> (shouldRun: Bool, shouldContinueRunning: Bool) {
        if let pinned = daemonSet.template.json["spec"]["nodeName"].string, !pinned.isEmpty, pinned != node.name { return (false, false) }
        guard placement.selects(labels: node.labels, nodeName: node.name) else { return (false, false) }
        let untolerated = placement.untoleratedTaints(node.taints)
        if untolerated.isEmpty { return (true, true) }
        return (false, !untolerated.contains { $0.effect == "NoExecute" })
    }

    /// The pod for `node` from the template at revision `hash`.
    static func pod(of daemonSet: DaemonSet, owner: ControllerOwner, node: String, hash: String) -> JSON {
        var pod = daemonSet.template.pod(
            owner: owner.reference, namespace: daemonSet.metadata.namespace, generateName: "\(daemonSet.metadata.name)-",
            extraLabels: [ControllerRevision.hashLabel: hash])
        pod["spec"]["tolerations"] = .array(tolerations(of: daemonSet.template).map(\.json))
        // The whole required node selector is replaced: the controller already checked the
        // template's terms against this node, and the scheduler must place it here only.
        pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] = [
            "nodeSelectorTerms": [["matchFields": [["key": "metadata.name", "operator": "In", "values": [.string(node)]]]]]
        ]
        return pod
    }

    /// The node a daemon pod is bound to, or pinned to by its node affinity while unscheduled.
    static func targetNode(of pod: Pod) -> String? {
        if let node = pod.spec.nodeName, !node.isEmpty { return node }
        for term in NodeSelectorTerm.required(inPodSpec: pod.json["spec"]) {
            for expression in term.fieldExpressions where expression.key == "metadata.name" && expression.op == "In" && expression.values.count == 1 {
                return expression.values[0]
            }
        }
        return nil
    }

    /// Oldest first (ties by name), the order Kubernetes keeps and counts daemon pods in.
    static func byAge(_ pods: [Pod]) -> [Pod] {
        pods.sorted { ($0.metadata.creationTimestamp ?? "", $0.name) < ($1.metadata.creationTimestamp ?? "", $1.name) }
    }
}

extension Pod {
    /// Whether it is available (`isAvailable`) and, when ready but not yet for
    /// `minReadySeconds`, how long until it will be: when the controller should look again.
    func availability(minReadySeconds: Int, now: Date) -> (available: Bool, after: Duration?) {
        let minimum = Int32(clamping: minReadySeconds)
        if isAvailable(minReadySeconds: minimum, now: now) { return (true, nil) }
        guard isReady else { return (false, nil) }
        guard let since = readySince else { return (false, .seconds(minReadySeconds)) }
        let remaining = since.addingTimeInterval(TimeInterval(minReadySeconds)).timeIntervalSince(now)
        return (false, .milliseconds(max(1, Int(remaining * 1000) + 1)))
    }
}
