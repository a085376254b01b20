import SkiffAPI

/// A node in the scheduler's snapshot, with what is already placed on it.
public struct NodeInfo: Sendable {
    public let name: String
    public let labels: [String: String]
    public let ready: Bool
    public let unschedulable: Bool
    public let taints: [Taint]
    public let allocatableMilliCPU: Int64
    public let allocatableMemory: Int64
    public let allocatablePods: Int64
    public internal(set) var requestedMilliCPU: Int64 = 0
    public internal(set) var requestedMemory: Int64 = 0
    public internal(set) var pods: [String: PodInfo] = [:]
    public internal(set) var usedHostPorts: Set<HostPort> = []
    /// Pods per controller uid, for spreading replicas.
    public internal(set) var ownerCounts: [String: Int] = [:]
    /// The pods with required anti-affinity terms, which every decision checks the incoming pod
    /// against: rarely any, so most decisions skip the node's pods altogether.
    public internal(set) var podsWithAntiAffinity: [String: PodInfo] = [:]

    public init(_ node: JSON) {
        name = node["metadata"]["name"].string ?? ""
        labels = node["metadata"]["labels"].stringMap
        ready = (node["status"]["conditions"].array ?? []).contains { $0["type"] == "Ready" && $0["status"] == "True" }
        unschedulable = node["spec"]["unschedulable"].bool ?? false
        taints = (node["spec"]["taints"].array ?? []).map(Taint.init)
        let allocatable = node["status"]["allocatable"].isNull ? node["status"]["capacity"] : node["status"]["allocatable"]
        allocatableMilliCPU = Quantity(json: allocatable["cpu"])?.milliValue ?? 0
        allocatableMemory = Quantity(json: allocatable["memory"])?.value ?? 0
        allocatablePods = Quantity(json: allocatable["pods"])?.value ?? 110
    }

    mutating func add(_ pod: PodInfo) {
        guard pods[pod.key] == nil else { return }
        pods[pod.key] = pod
        requestedMilliCPU += pod.milliCPU
        requestedMemory += pod.memory
        usedHostPorts.formUnion(pod.hostPorts)
        if !pod.antiAffinity.isEmpty { podsWithAntiAffinity[pod.key] = pod }
        if let owner = pod.ownerUID { ownerCounts[owner, default: 0] += 1 }
    }

    mutating func remove(_ key: String) {
        guard let pod = pods.removeValue(forKey: key) else { return }
        requestedMilliCPU -= pod.milliCPU
        requestedMemory -= pod.memory
        if !pod.hostPorts.isEmpty { usedHostPorts = Set(pods.values.flatMap(\.hostPorts)) }
        podsWithAntiAffinity.removeValue(forKey: key)
        if let owner = pod.ownerUID { ownerCounts[owner, default: 1] -= 1 }
    }
}
