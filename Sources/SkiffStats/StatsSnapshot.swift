/// Everything one scrape read: the node, every pod and container, and what failed.
public struct StatsSnapshot: Sendable, Equatable {
    public var clock: SampleClock
    public var node: NodeSample?
    public var systemContainers: [SystemContainerSample]
    public var pods: [PodSample]
    /// Reads that failed for a reason other than the cgroup being gone; the Prometheus
    /// endpoints report them as scrape_error 1.
    public var errors: [String]

    public init(clock: SampleClock, node: NodeSample?, systemContainers: [SystemContainerSample] = [], pods: [PodSample], errors: [String] = []) {
        (self.clock, self.node, self.systemContainers, self.pods, self.errors) = (clock, node, systemContainers, pods, errors)
    }

    public var time: StatsTime { clock.wall }
}

public struct PodSample: Sendable, Equatable {
    public var target: PodStatsTarget
    /// The pod cgroup's reading; nil when the cgroup is gone.
    public var stats: CgroupSample?
    public var containers: [ContainerSample]
    public var network: NetworkSample?

    public init(target: PodStatsTarget, stats: CgroupSample?, containers: [ContainerSample], network: NetworkSample? = nil) {
        (self.target, self.stats, self.containers, self.network) = (target, stats, containers, network)
    }

    /// The pod's start: the agent's value, else its earliest container start.
    public var startTime: StatsTime {
        target.startTime ?? target.containers.map(\.startTime).min() ?? StatsTime(seconds: 0)
    }
}

public struct ContainerSample: Sendable, Equatable {
    public var target: ContainerStatsTarget
    /// nil when the container's cgroup is gone (it exited between listing and sampling).
    public var stats: CgroupSample?

    public init(target: ContainerStatsTarget, stats: CgroupSample?) {
        (self.target, self.stats) = (target, stats)
    }
}

public struct SystemContainerSample: Sendable, Equatable {
    public var target: SystemContainerTarget
    public var stats: CgroupSample?

    public init(target: SystemContainerTarget, stats: CgroupSample?) {
        (self.target, self.stats) = (target, stats)
    }
}
