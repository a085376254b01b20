import CSkiffShim
import Glibc
import SkiffSystem

/// Typed wrappers for the mount-namespace and identity calls the init process makes.
enum LinuxCalls {
    static func mount(_ source: String, _ target: String, type: String, flags: UInt, data: String = "") throws {
        try sys("mount", "\(source.quoted) -> \(target.quoted), type \(type.quoted), data \(data.quoted)") {
            data.withCString { Glibc.mount(source, target, type, flags, data.isEmpty ? nil : UnsafeRawPointer($0)) }
        }
    }

    /// Changes propagation or remounts without touching the source (source and type ignored).
    static func remount(_ target: String, flags: UInt, data: String = "") throws {
        try sys("mount", "remount \(target.quoted) flags \(String(flags, radix: 16))") {
            data.withCString { Glibc.mount("", target, "", flags, data.isEmpty ? nil : UnsafeRawPointer($0)) }
        }
    }

    static func unmount(_ target: String, flags: Int32) throws {
        try sys("umount2", target.quoted) { umount2(target, flags) }
    }

    /// The flags the kernel locks on a mount (nosuid, nodev, noexec, atime) from statvfs, which a
    /// bind remount must repeat or get EPERM inside a user namespace.
    static func lockedFlags(_ path: String) -> UInt {
        var vfs = statvfs()
        guard statvfs(path, &vfs) == 0 else { return 0 }
        // statvfs's ST_* values (sys/statvfs.h), which Swift does not import.
        let pairs: [(UInt, Int)] = [
            (2, MS_NOSUID), (4, MS_NODEV), (8, MS_NOEXEC), (1024, MS_NOATIME), (2048, MS_NODIRATIME), (4096, MS_RELATIME),
        ]
        var flags: UInt = 0
        for (st, ms) in pairs where vfs.f_flag & st != 0 { flags |= UInt(ms) }
        return flags
    }

    static func setns(_ fd: Int32, _ flag: Int32, _ path: String) throws {
        try shim("setns", path.quoted) { skiff_setns(fd, flag) }
    }

    static func unshare(_ flags: Int32) throws {
        try shim("unshare", "0x" + String(flags, radix: 16)) { skiff_unshare(flags) }
    }

    static func prctl(_ option: Int32, _ arg: UInt, _ name: String) throws {
        try shim("prctl", name) { skiff_prctl(option, arg, 0, 0, 0) }
    }

    /// Creates `path` as an empty file (for bind-mounting a file onto it) if nothing is there.
    static func touch(_ path: String) throws {
        let fd = try sys("open", path.quoted) { open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o644) }
        closeFD(fd)
    }

    static func namespaceFlag(_ type: String) -> Int32 {
        switch type {
        case "user": SKIFF_CLONE_NEWUSER
        case "ipc": SKIFF_CLONE_NEWIPC
        case "uts": SKIFF_CLONE_NEWUTS
        case "network": SKIFF_CLONE_NEWNET
        case "cgroup": SKIFF_CLONE_NEWCGROUP
        case "time": SKIFF_CLONE_NEWTIME
        case "mount": SKIFF_CLONE_NEWNS
        case "pid": SKIFF_CLONE_NEWPID
        default: 0
        }
    }
}
