import SkiffAPI
import SkiffCgroups
import SkiffOCI

/// The pod's place in the cgroup tree, `kubepods/{burstable,besteffort}/pod<uid>` (Guaranteed pods
/// sit directly under kubepods), with pod-level limits from the kubelet's formulas, and the
/// oom_score_adj each QoS class gets.
struct PodCgroups: Sendable {
    let tree: any CgroupTree
    let root: String
    let memoryCapacity: Int64
    /// See `HostFacts.oomScoreFloor`.
    var oomScoreFloor: Int? = nil

    init(tree: any CgroupTree, root: String, memoryCapacity: Int64, oomScoreFloor: Int? = nil) {
        self.tree = tree
        self.root = root
        self.memoryCapacity = memoryCapacity
        self.oomScoreFloor = oomScoreFloor
    }

    init(hierarchy: CgroupHierarchy, root: String, memoryCapacity: Int64, oomScoreFloor: Int? = nil) {
        self.init(tree: KernelCgroups(hierarchy: hierarchy), root: root, memoryCapacity: memoryCapacity, oomScoreFloor: oomScoreFloor)
    }

    func path(for pod: Pod) -> String {
        switch QoS.classify(pod.spec) {
        case .guaranteed: return "/\(root)/pod\(pod.uid)"
        case .bestEffort: return "/\(root)/besteffort/pod\(pod.uid)"
        case .burstable: return "/\(root)/burstable/pod\(pod.uid)"
        }
    }

    func containerPath(pod: Pod, containerID: String) -> String {
        path(for: pod) + "/" + containerID
    }

    /// Creates the pod cgroup with the sum of its containers' limits (when every container has one).
    func create(for pod: Pod) throws {
        var memory: Int64? = 0
        var cpuMilli: Int64? = 0
        var cpuRequestMilli: Int64 = 0
        for container in pod.spec.containers {
            let limits = container.resources.limits
            let requests = container.resources.requests
            if let limit = limits["memory"], let sum = memory { memory = sum + limit.value } else { memory = nil }
            if let limit = limits["cpu"], let sum = cpuMilli { cpuMilli = sum + limit.milliValue } else { cpuMilli = nil }
            cpuRequestMilli += (requests["cpu"] ?? limits["cpu"])?.milliValue ?? 0
        }
        var cpu = RuntimeSpec.CPU(shares: UInt64(ContainerSpecBuilder.cpuShares(milliCPU: cpuRequestMilli)))
        if let cpuMilli, cpuMilli > 0 {
            cpu.quota = ContainerSpecBuilder.cpuQuota(milliCPU: cpuMilli)
            cpu.period = 100_000
        }
        var resources = RuntimeSpec.Resources(cpu: cpu)
        if let memory, memory > 0 { resources.memory = RuntimeSpec.Memory(limit: memory) }
        try tree.create(path: path(for: pod), resources: resources)
    }

    /// Removes the pod cgroup once its containers are gone (kills stragglers first).
    func remove(for pod: Pod) {
        tree.remove(path: path(for: pod))
    }

    /// The kubelet's oom_score_adj policy, raised to the floor where the host cannot go lower.
    func oomScoreAdj(for pod: Pod, container: Container) -> Int {
        let score = kubeletOOMScoreAdj(for: pod, container: container)
        guard let oomScoreFloor else { return score }
        return max(score, oomScoreFloor)
    }

    private func kubeletOOMScoreAdj(for pod: Pod, container: Container) -> Int {
        switch QoS.classify(pod.spec) {
        case .guaranteed: return -997
        case .bestEffort: return 1000
        case .burstable:
            let request = container.resources.requests["memory"]?.value ?? 0
            guard memoryCapacity > 0 else { return 999 }
            let score = 1000 - (1000 * request) / memoryCapacity
            return Int(min(max(2, score), 999))
        }
    }

    /// How many times the kernel OOM-killed something in this cgroup.
    func oomKills(path: String) -> UInt64 {
        tree.oomKills(path: path)
    }
}

/// Where pod cgroups are made: the kernel's cgroup hierarchy, or a fake in worker tests.
protocol CgroupTree: Sendable {
    /// Creates the cgroup (if needed) and applies its limits.
    func create(path: String, resources: RuntimeSpec.Resources) throws
    /// Removes the cgroup, killing what is left in it first.
    func remove(path: String)
    /// How many times the kernel OOM-killed something in the cgroup.
    func oomKills(path: String) -> UInt64
}

struct KernelCgroups: CgroupTree {
    let hierarchy: CgroupHierarchy

    func create(path: String, resources: RuntimeSpec.Resources) throws {
        let cgroup = Cgroups.open(path: path, hierarchy: hierarchy)
        try cgroup.create()
        try cgroup.apply(resources)
    }

    func remove(path: String) {
        let cgroup = Cgroups.open(path: path, hierarchy: hierarchy)
        if cgroup.exists { try? cgroup.destroy() }
    }

    func oomKills(path: String) -> UInt64 {
        let cgroup = Cgroups.open(path: path, hierarchy: hierarchy)
        return (try? cgroup.stats().memory.oomKill) ?? 0
    }
}
