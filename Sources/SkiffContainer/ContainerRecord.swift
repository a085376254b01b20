import SkiffCgroups
import SkiffOCI
import SkiffSystem

/// What the runtime remembers about a container between invocations (state.json).
public struct ContainerRecord: Codable, Sendable {
    public var id: String
    public var bundle: String
    public var rootfs: String
    /// The container's first process, as the host sees it.
    public var pid: Int32
    /// Its start time, so a recycled pid is never mistaken for the container.
    public var pidStartTime: UInt64?
    public var created: String
    public var cgroupPath: String
    public var hierarchy: Hierarchy
    public var spec: RuntimeSpec

    /// The cgroup layout recorded at create time, so later commands use the same driver.
    public enum Hierarchy: Codable, Sendable {
        case unified(mountPoint: String)
        case legacy(mountPoints: [String: String])

        init(_ hierarchy: CgroupHierarchy) {
            switch hierarchy {
            case .unified(let mountPoint): self = .unified(mountPoint: mountPoint)
            case .legacy(let mountPoints): self = .legacy(mountPoints: mountPoints)
            }
        }

        var cgroupHierarchy: CgroupHierarchy {
            switch self {
            case .unified(let mountPoint): .unified(mountPoint: mountPoint)
            case .legacy(let mountPoints): .legacy(mountPoints: mountPoints)
            }
        }
    }

    public var cgroup: any Cgroup { Cgroups.open(path: cgroupPath, hierarchy: hierarchy.cgroupHierarchy) }

    public var isAlive: Bool { ProcFS.isAlive(pid, startTime: pidStartTime) }

    /// created → (start) → running → stopped; paused while the cgroup is frozen.
    public func status(stateDirectory: String) -> ContainerStatus {
        guard isAlive else { return .stopped }
        if FileSystem.exists(stateDirectory + "/exec.fifo") { return .created }
        if cgroup.isFrozen() { return .paused }
        return .running
    }

    public func report(stateDirectory: String) -> ContainerStateReport {
        let status = status(stateDirectory: stateDirectory)
        return ContainerStateReport(
            id: id, pid: status == .stopped ? 0 : pid, status: status, bundle: bundle, rootfs: rootfs,
            created: created, annotations: spec.annotations)
    }
}
