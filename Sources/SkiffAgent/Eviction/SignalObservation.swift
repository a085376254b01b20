import SkiffStats

/// What one signal measured: how much is left, out of how much.
struct SignalObservation: Sendable, Equatable {
    var available: Int64
    var capacity: Int64

    /// The signals from one reading of the node. Memory is the lower of the node's (MemTotal
    /// minus the working set) and, when the pods' cgroup root is limited, its limit minus its
    /// working set: pods are squeezed by whichever runs out first. nodefs is the data
    /// directory's file system. A signal that could not be read is left out.
    static func observe(node: NodeSample?, podsRoot: CgroupSample?, nodefs: FilesystemSample?) -> [EvictionSignal: SignalObservation] {
        var signals: [EvictionSignal: SignalObservation] = [:]
        if let node, node.memoryTotalBytes > 0 {
            signals[.memoryAvailable] = SignalObservation(
                available: Int64(clamping: node.memoryAvailableBytes), capacity: Int64(clamping: node.memoryTotalBytes))
        }
        if let podsRoot, let limit = podsRoot.memoryLimitBytes, let available = podsRoot.memoryAvailableBytes,
            signals[.memoryAvailable].map({ Int64(clamping: available) < $0.available }) ?? true
        {
            signals[.memoryAvailable] = SignalObservation(available: Int64(clamping: available), capacity: Int64(clamping: limit))
        }
        if let nodefs, nodefs.capacityBytes > 0 {
            signals[.nodefsAvailable] = SignalObservation(
                available: Int64(clamping: nodefs.availableBytes), capacity: Int64(clamping: nodefs.capacityBytes))
            if nodefs.inodes > 0 {
                signals[.nodefsInodesFree] = SignalObservation(
                    available: Int64(clamping: nodefs.inodesFree), capacity: Int64(clamping: nodefs.inodes))
            }
        }
        if let node, let maxPID = node.maxPID, let processes = node.processCount, maxPID > 0 {
            signals[.pidAvailable] = SignalObservation(available: max(0, maxPID - processes), capacity: maxPID)
        }
        return signals
    }
}
