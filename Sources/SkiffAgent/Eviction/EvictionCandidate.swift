import SkiffAPI

/// A running pod as the eviction loop weighs it: its priority and QoS, and for each resource
/// what it uses and what it requested.
struct EvictionCandidate: Sendable, Equatable {
    /// One container's use of a resource, for the eviction message.
    struct ContainerUsage: Sendable, Equatable {
        var name: String
        var usage: Int64
        var request: Int64
    }

    var uid: String
    var namespace: String
    var name: String
    /// `spec.priority` (0 when unset).
    var priority: Int32
    var qos: QoSClass
    /// Memory working set, by container.
    var memory: [ContainerUsage]
    /// Tasks in the pod's cgroup; pods request none.
    var processes: Int64
    /// The ephemeral-storage requests; the agent does not measure pods' disk use, so disk
    /// pressure ranks on requests and priority alone.
    var ephemeralStorageRequest: Int64

    var key: String { "\(namespace)/\(name)" }

    /// The kubelet's system-critical priority: such pods (system-node-critical,
    /// system-cluster-critical) are never evicted for node pressure.
    static let systemCriticalPriority: Int32 = 2_000_000_000

    var isCritical: Bool { priority >= Self.systemCriticalPriority }

    /// What the pod uses of the resource behind `signal`, and what it requested.
    func usage(for signal: EvictionSignal) -> (usage: Int64, request: Int64) {
        switch signal {
        case .memoryAvailable: (memory.reduce(0) { $0 + $1.usage }, memory.reduce(0) { $0 + $1.request })
        case .pidAvailable: (processes, 0)
        case .nodefsAvailable, .nodefsInodesFree: (0, ephemeralStorageRequest)
        }
    }

    /// The candidate for a pod: requests from its spec, usage from its containers' cgroups.
    init(pod: Pod, memoryWorkingSet: [String: Int64], processes: Int64) {
        uid = pod.uid
        namespace = pod.namespace
        name = pod.name
        priority = Int32(clamping: pod.json["spec"]["priority"].int ?? 0)
        qos = QoS.classify(pod.spec)
        memory = pod.spec.containers.map { container in
            ContainerUsage(
                name: container.name, usage: memoryWorkingSet[container.name] ?? 0,
                request: (container.resources.requests["memory"] ?? container.resources.limits["memory"])?.value ?? 0)
        }
        self.processes = processes
        ephemeralStorageRequest = pod.spec.containers.reduce(0) { sum, container in
            sum + ((container.resources.requests["ephemeral-storage"] ?? container.resources.limits["ephemeral-storage"])?.value ?? 0)
        }
    }

    init(
        uid: String, namespace: String = "default", name: String, priority: Int32 = 0, qos: QoSClass, memory: [ContainerUsage] = [],
        processes: Int64 = 0, ephemeralStorageRequest: Int64 = 0
    ) {
        (self.uid, self.namespace, self.name, self.priority, self.qos) = (uid, namespace, name, priority, qos)
        (self.memory, self.processes, self.ephemeralStorageRequest) = (memory, processes, ephemeralStorageRequest)
    }
}
