extension Summary {
    /// The Summary of one scrape. Pods and containers whose cgroups were gone keep their
    /// identity and start time but carry no cpu/memory, as the kubelet does.
    public init(snapshot: StatsSnapshot, nodeName: String) {
        let time = snapshot.time
        var node = NodeStats(nodeName: nodeName, startTime: snapshot.node?.bootTime ?? time)
        if let sample = snapshot.node {
            node.cpu = CPUStats(
                time: time, usageNanoCores: sample.cpuUsageNanoCores,
                usageCoreNanoSeconds: sample.cpuUsageCoreNanoseconds, psi: sample.pressure?.cpu)
            node.memory = MemoryStats(
                time: time, availableBytes: sample.memoryAvailableBytes, usageBytes: sample.memoryUsageBytes,
                workingSetBytes: sample.memoryWorkingSetBytes, rssBytes: sample.memoryRSSBytes,
                pageFaults: sample.pageFaults, majorPageFaults: sample.majorPageFaults, psi: sample.pressure?.memory)
            if let io = sample.pressure?.io { node.io = IOStats(time: time, psi: io) }
            node.network = sample.network.map { NetworkStats($0, time: time) }
            node.fs = sample.filesystem.map { FsStats($0, time: time) }
            if let image = sample.imageFilesystem { node.runtime = RuntimeStats(imageFs: FsStats(image, time: time)) }
            if sample.maxPID != nil || sample.processCount != nil {
                node.rlimit = RlimitStats(time: time, maxpid: sample.maxPID, curproc: sample.processCount)
            }
            if sample.swapTotalBytes > 0 {
                node.swap = SwapStats(
                    time: time, swapAvailableBytes: sample.swapTotalBytes - sample.swapUsageBytes,
                    swapUsageBytes: sample.swapUsageBytes)
            }
        }
        node.systemContainers = snapshot.systemContainers.map {
            ContainerStats(name: $0.target.name, startTime: $0.target.startTime, sample: $0.stats, time: time)
        }
        let pods = snapshot.pods.map { pod in
            var stats = PodStats(
                podRef: PodReference(name: pod.target.name, namespace: pod.target.namespace, uid: pod.target.uid),
                startTime: pod.startTime)
            stats.containers = pod.containers.map {
                ContainerStats(name: $0.target.name, startTime: $0.target.startTime, sample: $0.stats, time: time)
            }
            if let sample = pod.stats {
                stats.cpu = CPUStats(sample, time: time)
                stats.memory = MemoryStats(sample, time: time)
                stats.io = sample.pressure?.io.map { IOStats(time: time, psi: $0) }
                stats.swap = SwapStats(sample, time: time)
                stats.processStats = ProcessStats(processCount: sample.processCount)
            }
            stats.network = pod.network.map { NetworkStats($0, time: time) }
            return stats
        }
        self.init(node: node, pods: pods)
    }
}

extension Summary.ContainerStats {
    init(name: String, startTime: StatsTime, sample: CgroupSample?, time: StatsTime) {
        self.init(name: name, startTime: startTime)
        guard let sample else { return }
        cpu = Summary.CPUStats(sample, time: time)
        memory = Summary.MemoryStats(sample, time: time)
        io = sample.pressure?.io.map { Summary.IOStats(time: time, psi: $0) }
        swap = Summary.SwapStats(sample, time: time)
    }
}

extension Summary.CPUStats {
    init(_ sample: CgroupSample, time: StatsTime) {
        self.init(
            time: time, usageNanoCores: sample.cpuUsageNanoCores, usageCoreNanoSeconds: sample.cpuUsageCoreNanoseconds,
            psi: sample.pressure?.cpu)
    }
}

extension Summary.MemoryStats {
    init(_ sample: CgroupSample, time: StatsTime) {
        self.init(
            time: time, availableBytes: sample.memoryAvailableBytes, usageBytes: sample.memoryUsageBytes,
            workingSetBytes: sample.memoryWorkingSetBytes, rssBytes: sample.memoryRSSBytes, pageFaults: sample.pageFaults,
            majorPageFaults: sample.majorPageFaults, psi: sample.pressure?.memory)
    }
}

extension Summary.SwapStats {
    init?(_ sample: CgroupSample, time: StatsTime) {
        guard let usage = sample.swapUsageBytes else { return nil }
        self.init(time: time, swapAvailableBytes: sample.swapLimitBytes.map { $0 > usage ? $0 - usage : 0 }, swapUsageBytes: usage)
    }
}

extension Summary.FsStats {
    init(_ sample: FilesystemSample, time: StatsTime) {
        self.init(
            time: time, availableBytes: sample.availableBytes, capacityBytes: sample.capacityBytes, usedBytes: sample.usedBytes,
            inodesFree: sample.inodesFree, inodes: sample.inodes, inodesUsed: sample.inodesUsed)
    }
}

extension Summary.NetworkStats {
    init(_ sample: NetworkSample, time: StatsTime) {
        func stats(_ interface: NetworkSample.Interface) -> Summary.InterfaceStats {
            Summary.InterfaceStats(
                name: interface.name, rxBytes: interface.rxBytes, rxErrors: interface.rxErrors,
                txBytes: interface.txBytes, txErrors: interface.txErrors)
        }
        self.init(time: time, defaultInterface: sample.defaultInterface.map(stats), interfaces: sample.interfaces.map(stats))
    }
}
