import Glibc

/// A pod the agent runs, as the sampler needs it: who it is and where its cgroups are.
public struct PodStatsTarget: Sendable, Equatable {
    public var namespace: String
    public var name: String
    public var uid: String
    /// The pod's cgroup inside the hierarchy, e.g. "/kubepods/burstable/pod<uid>".
    public var cgroupPath: String
    /// When the pod (its sandbox) started; nil means the earliest container start.
    public var startTime: StatsTime?
    /// A process in the pod's network namespace; its /proc/PID/net/dev gives the pod's network
    /// stats. nil: the first process of the first container that has one (every container
    /// shares the pod's network namespace), unless `hostNetwork`.
    public var networkPID: pid_t?
    /// The pod uses the node's network namespace: its interfaces are the node's, reported
    /// once for the node, so the pod has no network stats of its own.
    public var hostNetwork: Bool
    public var containers: [ContainerStatsTarget]

    public init(
        namespace: String, name: String, uid: String, cgroupPath: String, startTime: StatsTime? = nil,
        networkPID: pid_t? = nil, hostNetwork: Bool = false, containers: [ContainerStatsTarget]
    ) {
        (self.namespace, self.name, self.uid, self.cgroupPath) = (namespace, name, uid, cgroupPath)
        (self.startTime, self.networkPID, self.hostNetwork, self.containers) = (startTime, networkPID, hostNetwork, containers)
    }
}

/// One container of a pod: its name in the pod spec and its own cgroup.
public struct ContainerStatsTarget: Sendable, Equatable {
    public var name: String
    /// e.g. "/kubepods/burstable/pod<uid>/<container id>".
    public var cgroupPath: String
    public var startTime: StatsTime
    /// The runtime's container id and image, for cAdvisor's `name`/`image` labels (optional).
    public var id: String
    public var image: String

    public init(name: String, cgroupPath: String, startTime: StatsTime, id: String = "", image: String = "") {
        (self.name, self.cgroupPath, self.startTime, self.id, self.image) = (name, cgroupPath, startTime, id, image)
    }
}

/// A cgroup the node runs outside pods that the Summary lists under systemContainers
/// (the kubelet names them "kubelet", "runtime", "pods", "misc").
public struct SystemContainerTarget: Sendable, Equatable {
    public var name: String
    public var cgroupPath: String
    public var startTime: StatsTime

    public init(name: String, cgroupPath: String, startTime: StatsTime) {
        (self.name, self.cgroupPath, self.startTime) = (name, cgroupPath, startTime)
    }
}
