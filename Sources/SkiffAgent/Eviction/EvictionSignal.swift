/// A quantity the agent watches to decide whether the node is under pressure, named as the
/// kubelet's `--eviction-hard` names it.
public enum EvictionSignal: String, Sendable, CaseIterable {
    /// Node memory (or the pods' cgroup root's limit, when it has one) minus the working set.
    case memoryAvailable = "memory.available"
    /// Free space on the file system holding the agent's data directory.
    case nodefsAvailable = "nodefs.available"
    /// Free inodes on that file system.
    case nodefsInodesFree = "nodefs.inodesFree"
    /// pid_max minus the tasks running on the node.
    case pidAvailable = "pid.available"

    /// The node condition a crossed threshold of this signal sets True.
    var condition: NodePressureType {
        switch self {
        case .memoryAvailable: .memory
        case .nodefsAvailable, .nodefsInodesFree: .disk
        case .pidAvailable: .pid
        }
    }

    /// The resource named in the eviction message and ranked on ("memory", "ephemeral-storage", …).
    var resource: String {
        switch self {
        case .memoryAvailable: "memory"
        case .nodefsAvailable: "ephemeral-storage"
        case .nodefsInodesFree: "inodes"
        case .pidAvailable: "pids"
        }
    }

    /// Whether the signal counts bytes (printed as quantities like 100Mi) rather than things.
    var countsBytes: Bool { self == .memoryAvailable || self == .nodefsAvailable }
}
