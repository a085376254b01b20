import SkiffAPI

/// What scheduling needs to know about a pod, parsed once from its JSON.
public struct PodInfo: Sendable {
    public let namespace: String
    public let name: String
    public let uid: String
    public let labels: [String: String]
    public var nodeName: String? { assignedNode }
    var assignedNode: String?
    public let milliCPU: Int64
    public let memory: Int64
    public let nodeSelector: [String: String]
    /// ORed terms, each ANDing its requirements.
    public let requiredNodeTerms: [NodeSelectorTerm]
    public let tolerations: [Toleration]
    public let antiAffinity: [PodAffinityTerm]
    public let hostPorts: Set<HostPort>
    public let ownerUID: String?
    public let schedulerName: String
    public let terminating: Bool
    /// The PersistentVolumeClaims its volumes name.
    public let claimNames: [String]
    /// For each bound volume with node affinity, its ORed terms: the node must match one of each.
    var volumeNodeTerms: [[NodeSelectorTerm]] = []

    public var key: String { "\(namespace)/\(name)" }

    public init(_ pod: JSON) {
        let metadata = pod["metadata"]
        let spec = pod["spec"]
        namespace = metadata["namespace"].string ?? "default"
        name = metadata["name"].string ?? ""
        uid = metadata["uid"].string ?? ""
        labels = metadata["labels"].stringMap
        assignedNode = spec["nodeName"].string.flatMap { $0.isEmpty ? nil : $0 }
        var cpu: Int64 = 0
        var memory: Int64 = 0
        var ports = Set<HostPort>()
        for container in spec["containers"].array ?? [] {
            cpu += Quantity(json: container["resources"]["requests"]["cpu"])?.milliValue ?? 0
            memory += Quantity(json: container["resources"]["requests"]["memory"])?.value ?? 0
            for port in container["ports"].array ?? [] {
                if let hostPort = port["hostPort"].int, hostPort > 0 {
                    ports.insert(HostPort(protocolName: port["protocol"].string ?? "TCP", port: hostPort))
                }
            }
        }
        // Init containers run one at a time before the app containers: the pod needs their maximum.
        for container in spec["initContainers"].array ?? [] {
            cpu = max(cpu, Quantity(json: container["resources"]["requests"]["cpu"])?.milliValue ?? 0)
            memory = max(memory, Quantity(json: container["resources"]["requests"]["memory"])?.value ?? 0)
        }
        milliCPU = cpu
        self.memory = memory
        hostPorts = ports
        nodeSelector = spec["nodeSelector"].stringMap
        requiredNodeTerms = (spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"].array ?? [])
            .map(NodeSelectorTerm.init)
        tolerations = (spec["tolerations"].array ?? []).map(Toleration.init)
        antiAffinity = (spec["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"].array ?? []).map {
            PodAffinityTerm($0, podNamespace: metadata["namespace"].string ?? "default")
        }
        ownerUID =
            (metadata["ownerReferences"].array ?? []).first { $0["controller"].bool == true }?["uid"].string
            ?? metadata["ownerReferences"][0]["uid"].string
        schedulerName = spec["schedulerName"].string ?? "default-scheduler"
        terminating = !metadata["deletionTimestamp"].isNull
        claimNames = (spec["volumes"].array ?? []).compactMap { $0["persistentVolumeClaim"]["claimName"].string }
    }
}

/// A host port a pod claims on its node.
public struct HostPort: Sendable, Hashable {
    public let protocolName: String
    public let port: Int64
}

/// One `nodeSelectorTerms` entry: label expressions and `metadata.name` field expressions.
public struct NodeSelectorTerm: Sendable {
    struct Expression: Sendable {
        let key: String
        let op: String
        let values: [String]
    }

    let labelExpressions: [Expression]
    let fieldExpressions: [Expression]

    public init(_ term: JSON) {
        func parse(_ list: JSON) -> [Expression] {
            (list.array ?? []).map {
                Expression(key: $0["key"].string ?? "", op: $0["operator"].string ?? "", values: ($0["values"].array ?? []).compactMap(\.string))
            }
        }
        labelExpressions = parse(term["matchExpressions"])
        fieldExpressions = parse(term["matchFields"])
    }

    func matches(labels: [String: String], nodeName: String) -> Bool {
        if labelExpressions.isEmpty && fieldExpressions.isEmpty { return false }
        for expression in labelExpressions where !Self.evaluate(expression, labels[expression.key]) { return false }
        for expression in fieldExpressions where !Self.evaluate(expression, expression.key == "metadata.name" ? nodeName : nil) { return false }
        return true
    }

    static func evaluate(_ expression: Expression, _ value: String?) -> Bool {
        switch expression.op {
        case "In": return value.map(expression.values.contains) ?? false
        case "NotIn": return value.map { !expression.values.contains($0) } ?? true
        case "Exists": return value != nil
        case "DoesNotExist": return value == nil
        case "Gt", "Lt":
            guard let value, let number = Int64(value), let bound = expression.values.first.flatMap({ Int64($0) }) else { return false }
            return expression.op == "Gt" ? number > bound : number < bound
        default: return false
        }
    }
}

/// A toleration: does it let the pod onto a node with a given taint?
public struct Toleration: Sendable {
    let key: String
    let op: String
    let value: String
    let effect: String

    init(_ toleration: JSON) {
        key = toleration["key"].string ?? ""
        op = toleration["operator"].string ?? "Equal"
        value = toleration["value"].string ?? ""
        effect = toleration["effect"].string ?? ""
    }

    func tolerates(_ taint: Taint) -> Bool {
        if !effect.isEmpty && effect != taint.effect { return false }
        if op == "Exists" { return key.isEmpty || key == taint.key }
        return key == taint.key && value == taint.value
    }
}

/// A required anti-affinity term; only `kubernetes.io/hostname` topology is honoured.
public struct PodAffinityTerm: Sendable {
    let selector: LabelSelector?
    let namespaces: Set<String>
    let topologyKey: String

    init(_ term: JSON, podNamespace: String) {
        selector = try? LabelSelector(object: term["labelSelector"])
        let listed = (term["namespaces"].array ?? []).compactMap(\.string)
        namespaces = Set(listed.isEmpty ? [podNamespace] : listed)
        topologyKey = term["topologyKey"].string ?? ""
    }

    func matches(_ pod: PodInfo) -> Bool {
        guard let selector, namespaces.contains(pod.namespace) else { return false }
        return selector.matches(pod.labels)
    }
}
