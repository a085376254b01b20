import Glibc
import SkiffOCI
import SkiffSystem

/// One container's cgroup, whichever version the host runs.
public protocol Cgroup: Sendable {
    /// The path inside the hierarchy, e.g. "/skiff/abc".
    var path: String { get }
    /// Creates the cgroup's directories (and, on v2, enables controllers on its ancestors).
    func create() throws
    func apply(_ resources: RuntimeSpec.Resources) throws
    func add(pid: pid_t) throws
    /// The same cgroup with processes placed in existing sub-cgroups (`exec --cgroup`): `paths`
    /// maps a controller ("" for all of them) to a path relative to this cgroup's.
    func subCgroup(_ paths: [String: String]) throws -> any Cgroup
    func processes() throws -> [pid_t]
    func setFrozen(_ frozen: Bool) throws
    func isFrozen() -> Bool
    func stats() throws -> CgroupStats
    /// Kills every process in it (SIGKILL), waits for them to go, and removes the directories.
    func destroy() throws
    /// Whether the cgroup directory exists.
    var exists: Bool { get }
}

public enum Cgroups {
    /// The cgroup for `path` on this host's hierarchy.
    public static func open(path: String, hierarchy: CgroupHierarchy) -> any Cgroup {
        switch hierarchy {
        case .unified(let mountPoint): CgroupV2(mountPoint: mountPoint, path: path)
        case .legacy(let mountPoints): CgroupV1(mountPoints: mountPoints, path: path)
        }
    }

    /// Sends SIGKILL to `pids` until the cgroup reports none, or gives up after ~2 s.
    public static func killAndWait(_ cgroup: any Cgroup) throws {
        for attempt in 0..<200 {
            let pids = try cgroup.processes()
            if pids.isEmpty { return }
            if attempt % 10 == 0 { for pid in pids { kill(pid, SIGKILL) } }
            usleep(10_000)
        }
        throw RuntimeError("cgroup \(cgroup.path): processes still running after SIGKILL")
    }

    /// rmdir that tolerates the brief EBUSY after the last process exits. A cgroup with
    /// sub-cgroups (made for `exec --cgroup`) is busy too: on the first EBUSY they are removed,
    /// deepest first, as runc removes them; the common case pays no directory listing.
    static func removeDirectory(_ directory: String) throws {
        var childrenRemoved = false
        for _ in 0..<100 {
            let removed = try sys("rmdir", directory.quoted, allowing: [ENOENT, EBUSY]) { rmdir(directory) }
            switch removed {
            case .succeeded, .failed(ENOENT): return
            case .failed:
                if !childrenRemoved {
                    childrenRemoved = true
                    let children = subdirectories(directory)
                    for child in children { try removeDirectory(child) }
                    if !children.isEmpty { continue }
                }
                usleep(10_000)
            }
        }
        throw SystemError("rmdir", directory.quoted, errno: EBUSY)
    }

    static func readPIDs(_ file: String) throws -> [pid_t] {
        try FileSystem.readString(file).split(separator: "\n").compactMap { pid_t($0) }
    }

    /// The pids in `directory`'s cgroup and every sub-cgroup below it (runc's GetAllPids), so
    /// kill, ps and delete reach processes that `exec --cgroup` put in a sub-cgroup.
    static func readAllPIDs(_ directory: String) throws -> [pid_t] {
        var pids = try readPIDs(directory + "/cgroup.procs")
        for child in subdirectories(directory) { pids += try readAllPIDs(child) }
        return pids
    }

    /// A cgroup's child cgroups (its subdirectories); none if it cannot be listed.
    static func subdirectories(_ directory: String) -> [String] {
        ((try? FileSystem.listSubdirectories(directory)) ?? []).map { directory + "/" + $0 }
    }
}

/// Conversions between config.json's (v1-flavoured) units and cgroup v2's, as runc does them.
public enum CgroupConversion {
    /// cpu.shares (2…262144) → cpu.weight (1…10000).
    public static func cpuWeight(shares: UInt64) -> UInt64 {
        guard shares > 0 else { return 0 }
        let clamped = min(max(shares, 2), 262_144)
        return 1 + ((clamped - 2) * 9999) / 262_142
    }

    /// blkio weight (10…1000) → io.weight (1…10000).
    public static func ioWeight(blkio: UInt16) -> UInt64 {
        guard blkio > 0 else { return 0 }
        return 1 + (UInt64(max(blkio, 10)) - 10) * 9999 / 990
    }

    /// config.json's swap is memory+swap; v2's memory.swap.max is swap alone.
    public static func swapMax(memorySwap: Int64, memoryLimit: Int64?) -> String {
        if memorySwap == -1 { return "max" }
        guard let limit = memoryLimit, limit > 0 else { return "\(memorySwap)" }
        return "\(max(memorySwap - limit, 0))"
    }

    /// "quota period" for cpu.max; quota -1 or unset means "max".
    public static func cpuMax(quota: Int64?, period: UInt64?) -> String? {
        guard quota != nil || period != nil else { return nil }
        let quotaText = (quota ?? -1) <= 0 ? "max" : "\(quota ?? 0)"
        return "\(quotaText) \(period ?? 100_000)"
    }
}
