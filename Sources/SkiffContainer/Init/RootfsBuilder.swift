import CSkiffShim
import Glibc
import SkiffCgroups
import SkiffOCI
import SkiffSystem

/// Builds the container's root filesystem inside its new mount namespace, then pivots into it.
struct RootfsBuilder {
    let request: InitRequest
    let rootfs: String
    let inUserNamespace: Bool

    init(request: InitRequest) {
        self.request = request
        self.rootfs = request.rootfs
        self.inUserNamespace = request.namespaces.contains { $0.type == "user" }
    }

    var spec: RuntimeSpec { request.spec }

    func mountAll() throws {
        // "/" gets linux.rootfsPropagation (rslave by default: nothing we mount reaches the host),
        // as runc's prepareRoot does.
        let propagation = MountOptions.propagation[spec.linux?.rootfsPropagation ?? ""] ?? UInt(MS_SLAVE | MS_REC)
        try LinuxCalls.remount("/", flags: propagation)
        // After a shared or non-recursive change a mount above the rootfs may be shared, which
        // would make the bind below shared too, and pivot_root refuses a shared new root (EINVAL).
        // runc makes that parent mount private; a recursive slave/private/unbindable "/" has no
        // shared mount left, so the default path skips reading mountinfo.
        if propagation & UInt(MS_REC) == 0 || propagation & UInt(MS_SHARED) != 0 {
            try makeParentMountPrivate()
        }
        // pivot_root needs the new root to be a mount point.
        try LinuxCalls.mount(rootfs, rootfs, type: "bind", flags: UInt(MS_BIND | MS_REC))
        for (index, mount) in (spec.mounts ?? []).enumerated() {
            do {
                try self.mount(mount)
            } catch {
                throw RuntimeError("mounts[\(index)] (\(mount.destination)): \(error)")
            }
        }
        // As runc: device nodes are made unless /dev is bound from elsewhere (then it has them).
        let devBound = (spec.mounts ?? []).contains { mount in
            (mount.type == "bind" || MountOptions(mount.options ?? []).isBind) && SecurePath.clean(mount.destination) == "/dev"
        }
        if !devBound { try createDevices() }
    }

    /// Makes the mount the rootfs lives on private if it is shared (runc's rootfsParentMountPrivate).
    func makeParentMountPrivate() throws {
        var parent: (mountPoint: String, shared: Bool)?
        for line in try FileSystem.readString("/proc/self/mountinfo").split(separator: "\n") {
            // id parent major:minor root mount-point options [optional fields…] - type source super-options
            let fields = line.split(separator: " ")
            guard fields.count > 6 else { continue }
            let mountPoint = Self.unescapeMountInfo(fields[4])
            guard mountPoint == "/" || mountPoint == rootfs || rootfs.hasPrefix(mountPoint + "/") else { continue }
            if let current = parent, current.mountPoint.count > mountPoint.count { continue }
            let optional = fields[6...].prefix { $0 != "-" }
            parent = (mountPoint, optional.contains { $0.hasPrefix("shared:") })
        }
        if let parent, parent.shared { try LinuxCalls.remount(parent.mountPoint, flags: UInt(MS_PRIVATE)) }
    }

    /// mountinfo escapes space, tab, newline and backslash as \ooo.
    static func unescapeMountInfo(_ field: Substring) -> String {
        guard field.contains("\\") else { return String(field) }
        var bytes: [UInt8] = []
        var utf8 = Array(field.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "\\"), utf8.count >= 3, let value = UInt8(String(decoding: utf8.prefix(3), as: UTF8.self), radix: 8) {
                bytes.append(value)
                utf8 = utf8.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    func target(_ destination: String) throws -> String {
        try SecurePath.resolve(destination, in: rootfs)
    }

    func mount(_ mount: RuntimeSpec.Mount) throws {
        let options = MountOptions(mount.options ?? [])
        let destination = try target(mount.destination)
        let type = mount.type ?? (options.isBind ? "bind" : "none")
        if type == "bind" || options.isBind {
            try bindMount(mount, options: options, destination: destination)
            return
        }
        if type == "cgroup" || type == "cgroup2" {
            try mountCgroups(destination, options: options)
            return
        }
        if type == "tmpfs" {
            try mountTmpfs(mount, options: options, destination: destination)
            return
        }
        try FileSystem.makeDirectories(destination)
        try LinuxCalls.mount(
            mount.source ?? type, destination, type: type, flags: options.flags,
            data: options.data.joined(separator: ","))
        for propagation in options.propagation { try LinuxCalls.remount(destination, flags: propagation) }
    }

    /// A tmpfs as runc mounts it: on a new directory its root has the `mode=` option's mode
    /// (1777 without one); on an existing directory it keeps that directory's mode, whatever
    /// `mode=` says. It is mounted writable for the chmod and made read-only after.
    func mountTmpfs(_ mount: RuntimeSpec.Mount, options: MountOptions, destination: String) throws {
        var st = stat()
        let existingMode: mode_t? = stat(destination, &st) == 0 ? st.st_mode & 0o7777 : nil
        if existingMode == nil { try FileSystem.makeDirectories(destination) }
        try LinuxCalls.mount(
            mount.source ?? "tmpfs", destination, type: "tmpfs", flags: options.flags & ~UInt(MS_RDONLY),
            data: options.data.joined(separator: ","))
        if let existingMode { try sys("chmod", destination.quoted) { chmod(destination, existingMode) } }
        if options.isReadOnly { try LinuxCalls.remount(destination, flags: UInt(MS_REMOUNT) | options.flags) }
        for propagation in options.propagation { try LinuxCalls.remount(destination, flags: propagation) }
    }

    func bindMount(_ mount: RuntimeSpec.Mount, options: MountOptions, destination: String) throws {
        var source = mount.source ?? ""
        if !source.hasPrefix("/") { source = request.bundle + "/" + source }
        let mode = try FileSystem.fileMode(source, followSymlinks: true)
        if (mode & S_IFMT) == S_IFDIR {
            try FileSystem.makeDirectories(destination)
        } else {
            try FileSystem.makeDirectories(String(destination[..<(destination.lastIndex(of: "/") ?? destination.endIndex)]))
            if !FileSystem.exists(destination) { try LinuxCalls.touch(destination) }
        }
        try LinuxCalls.mount(source, destination, type: "bind", flags: UInt(MS_BIND) | (options.flags & UInt(MS_REC)))
        // Flags other than bind/rec only take effect on a remount.
        let extra = options.flags & ~UInt(MS_BIND | MS_REC | MS_REMOUNT)
        if extra != 0 {
            try LinuxCalls.remount(destination, flags: UInt(MS_BIND | MS_REMOUNT) | extra | LinuxCalls.lockedFlags(destination))
        }
        for propagation in options.propagation { try LinuxCalls.remount(destination, flags: propagation) }
    }

    /// The container's view of its own cgroup at `destination`.
    func mountCgroups(_ destination: String, options: MountOptions) throws {
        try FileSystem.makeDirectories(destination)
        let flags = options.flags & ~UInt(MS_RDONLY)
        let newCgroupNamespace = request.namespaces.contains { $0.type == "cgroup" && ($0.path ?? "").isEmpty }
        switch request.hierarchy {
        case .unified(let mountPoint):
            if newCgroupNamespace {
                try LinuxCalls.mount("cgroup2", destination, type: "cgroup2", flags: options.flags)
            } else {
                try LinuxCalls.mount(mountPoint + request.cgroupPath, destination, type: "bind", flags: UInt(MS_BIND | MS_REC))
                if options.isReadOnly {
                    try LinuxCalls.remount(destination, flags: UInt(MS_BIND | MS_REMOUNT | MS_RDONLY) | flags | LinuxCalls.lockedFlags(destination))
                }
            }
        case .legacy(let mountPoints):
            // A tmpfs with one directory per hierarchy, each showing only the container's cgroup.
            try LinuxCalls.mount("tmpfs", destination, type: "tmpfs", flags: flags, data: "mode=755")
            var byMount: [String: [String]] = [:]
            for (controller, mountPoint) in mountPoints { byMount[mountPoint, default: []].append(controller) }
            for (mountPoint, controllers) in byMount.sorted(by: { $0.key < $1.key }) {
                let name = controllers.sorted().joined(separator: ",")
                let directory = destination + "/" + (name.hasPrefix("name=") ? String(name.dropFirst(5)) : name)
                try FileSystem.makeDirectories(directory)
                if newCgroupNamespace {
                    try LinuxCalls.mount("cgroup", directory, type: "cgroup", flags: options.flags, data: name)
                } else {
                    try LinuxCalls.mount(mountPoint + request.cgroupPath, directory, type: "bind", flags: UInt(MS_BIND | MS_REC))
                    if options.isReadOnly {
                        try LinuxCalls.remount(directory, flags: UInt(MS_BIND | MS_REMOUNT | MS_RDONLY) | flags | LinuxCalls.lockedFlags(directory))
                    }
                }
            }
            if options.isReadOnly {
                try LinuxCalls.remount(destination, flags: UInt(MS_REMOUNT | MS_RDONLY) | flags, data: "mode=755")
            }
        }
    }

    /// Default devices every container gets, plus linux.devices; symlinks for /dev/fd & co.
    func createDevices() throws {
        var devices: [RuntimeSpec.Device] = [
            .init(type: "c", path: "/dev/null", major: 1, minor: 3), .init(type: "c", path: "/dev/zero", major: 1, minor: 5),
            .init(type: "c", path: "/dev/full", major: 1, minor: 7), .init(type: "c", path: "/dev/tty", major: 5, minor: 0),
            .init(type: "c", path: "/dev/random", major: 1, minor: 8), .init(type: "c", path: "/dev/urandom", major: 1, minor: 9),
        ]
        for device in spec.linux?.devices ?? [] {
            devices.removeAll { $0.path == device.path }
            devices.append(device)
        }
        let oldMask = umask(0)
        defer { umask(oldMask) }
        for device in devices {
            let path = try target(device.path)
            try FileSystem.makeDirectories(String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]))
            if inUserNamespace {
                // mknod is not allowed in a user namespace: bind the host's node instead.
                if !FileSystem.exists(path) { try LinuxCalls.touch(path) }
                try LinuxCalls.mount(device.path, path, type: "bind", flags: UInt(MS_BIND))
                continue
            }
            let kind: mode_t =
                switch device.type {
                case "b": S_IFBLK
                case "p": S_IFIFO
                default: S_IFCHR
                }
            let made = try shim("mknod", path.quoted, allowing: [EEXIST, EPERM]) {
                skiff_mknod(path, kind | mode_t(device.fileMode ?? 0o666), UInt32(device.major ?? 0), UInt32(device.minor ?? 0))
            }
            switch made {
            case .succeeded: try sys("chown", path.quoted) { chown(path, device.uid ?? 0, device.gid ?? 0) }
            // A node already there is kept, as runc keeps it (a rootfs may ship its own /dev).
            case .failed(EEXIST): continue
            // mknod refused (no CAP_MKNOD, a nodev mount): bind the host's node, as runc does.
            default:
                try LinuxCalls.touch(path)
                try LinuxCalls.mount(device.path, path, type: "bind", flags: UInt(MS_BIND))
            }
        }
        for (link, target) in [
            ("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
            ("stderr", "/proc/self/fd/2"), ("ptmx", "pts/ptmx"),
        ] {
            let path = rootfs + "/dev/" + link
            if !FileSystem.exists(path) {
                try sys("symlink", "\(target.quoted) -> \(path.quoted)") { symlink(target, path) }
            }
        }
        if FileSystem.exists("/proc/kcore") && !FileSystem.exists(rootfs + "/dev/core") {
            _ = symlink("/proc/kcore", rootfs + "/dev/core")
        }
    }

    /// Moves into the new root and detaches the old one.
    func pivot() throws {
        try sys("chdir", rootfs.quoted) { chdir(rootfs) }
        if request.noPivot {
            try LinuxCalls.mount(rootfs, "/", type: "", flags: UInt(MS_MOVE))
            try sys("chroot", ".") { chroot(".") }
        } else {
            // pivot_root(".", ".") stacks the old root on top of the new one; unmounting "."
            // then drops the old root without needing a directory for it.
            try shim("pivot_root", rootfs.quoted) { skiff_pivot_root(".", ".") }
            try LinuxCalls.remount(".", flags: UInt(MS_SLAVE | MS_REC))
            try LinuxCalls.unmount(".", flags: Int32(MNT_DETACH))
        }
        try sys("chdir", "/") { chdir("/") }
    }

    /// Read-only root, masked and read-only paths; after
    /// sysctls are written, since /proc/sys is usually one of the read-only paths.
    func finishRoot() throws {
        for path in spec.linux?.maskedPaths ?? [] {
            guard FileSystem.exists(path) else { continue }
            if FileSystem.isDirectory(path) {
                try LinuxCalls.mount("tmpfs", path, type: "tmpfs", flags: UInt(MS_RDONLY), data: "size=0k")
            } else {
                try LinuxCalls.mount("/dev/null", path, type: "bind", flags: UInt(MS_BIND))
            }
        }
        for path in spec.linux?.readonlyPaths ?? [] {
            guard FileSystem.exists(path) else { continue }
            try LinuxCalls.mount(path, path, type: "bind", flags: UInt(MS_BIND | MS_REC))
            try LinuxCalls.remount(path, flags: UInt(MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC) | LinuxCalls.lockedFlags(path))
        }
        if spec.root?.readonly == true {
            try LinuxCalls.remount("/", flags: UInt(MS_BIND | MS_REMOUNT | MS_RDONLY) | LinuxCalls.lockedFlags("/"))
        }
    }

    /// Binds the terminal's slave over /dev/console, as runc does.
    func bindConsole() throws {
        guard let name = ttyname(0) else { return }
        let slave = String(cString: name)
        if !FileSystem.exists("/dev/console") { try LinuxCalls.touch("/dev/console") }
        try LinuxCalls.mount(slave, "/dev/console", type: "bind", flags: UInt(MS_BIND))
    }
}
