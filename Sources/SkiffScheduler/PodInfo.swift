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
        requiredNodeTerms = NodeSelectorTerm.required(inPodSpec: spec)
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
