import CSkiffShim
import Glibc
import SkiffCgroups
import SkiffOCI
import SkiffSystem

extension Runtime {
    /// Creates a container: state directory, cgroup, namespaces and root filesystem, with its
    /// process blocked on the exec fifo until `start`. On any failure everything made so far is
    /// undone, so a bad config leaves nothing behind. Returns what state.json now holds (the
    /// container's host pid is `record.pid`), so `run` need not read it back.
    @discardableResult
    public func create(_ id: String, options: CreateOptions) throws -> ContainerRecord {
        try StateStore.validate(id: id)
        let bundle = absolutePath(options.bundle)
        let spec = try RuntimeSpec.load(bundle: bundle)
        let wantsTerminal = spec.process?.terminal == true
        if wantsTerminal && options.consoleSocket == nil && options.foregroundConsole == nil {
            throw RuntimeError("cannot allocate tty if runc will detach without setting console socket")
        }
        if !wantsTerminal && options.consoleSocket != nil {
            throw RuntimeError("cannot use console socket if runc will not detach or allocate tty")
        }
        let rootfs = realPath(spec.resolvedRootPath(bundle: bundle))
        for (index, mount) in (spec.mounts ?? []).enumerated() {
            do {
                _ = try SecurePath.resolve(mount.destination, in: rootfs)
            } catch {
                throw SpecError("mounts[\(index)].destination \(mount.destination.quoted)", "\(error)")
            }
        }
        let hierarchy = try CgroupHierarchy.detect()
        let ownCgroup: String =
            switch hierarchy {
            case .unified: CgroupHierarchy.ownPath(controller: nil)
            case .legacy: CgroupHierarchy.ownPath(controller: "memory")
            }
        let cgroupPath = CgroupPath.resolve(spec.linux?.cgroupsPath, id: id, systemd: systemdCgroup, ownPath: ownCgroup)
        let cgroup = Cgroups.open(path: cgroupPath, hierarchy: hierarchy)

        let directory = try store.claim(id)
        var openFDs: [Int32] = []
        defer { for fd in openFDs { closeFD(fd) } }
        let cgroupExisted = cgroup.exists
        do {
            let fifo = directory + "/exec.fifo"
            try sys("mkfifo", fifo.quoted) { mkfifo(fifo, 0o622) }
            // Past the umask: the container's user, whoever it is, must be able to open it.
            try sys("chmod", fifo.quoted) { chmod(fifo, 0o622) }
            let fifoFD = try sys("open", fifo.quoted) { open(fifo, SKIFF_O_PATH | O_CLOEXEC) }
            openFDs.append(fifoFD)
            var passing = openFDs
            let console = wantsTerminal ? try consoleSocket(path: options.consoleSocket, foreground: options.foregroundConsole) : nil
            if let console {
                passing.append(console.fd)
                if console.owned { openFDs.append(console.fd) }
            }
            let consoleFD = console?.fd
            let request = InitRequest(
                mode: .create, id: id, bundle: bundle, rootfs: rootfs, spec: spec,
                namespaces: Self.namespacePlan(spec), execFifoFD: fifoFD, consoleSocketFD: consoleFD,
                preserveFDs: options.preserveFDs, noPivot: options.noPivot, cgroupPath: cgroupPath,
                hierarchy: ContainerRecord.Hierarchy(hierarchy))
            let created = now()
            // The cgroup is made while the init starts up; it joins it only later.
            let pid = try launchInit(
                request, cgroup: cgroup, passing: passing, preserveFDs: options.preserveFDs,
                whileInitStarts: {
                    try cgroup.create()
                    try cgroup.apply(spec.linux?.resources ?? RuntimeSpec.Resources())
                },
                runHooks: { pid in
                    let state = ContainerStateReport(
                        id: id, pid: pid, status: .creating, bundle: bundle, rootfs: rootfs,
                        created: created, annotations: spec.annotations)
                    try Hooks.run(spec.hooks?.prestart ?? [], stage: "prestart", state: state)
                    try Hooks.run(spec.hooks?.createRuntime ?? [], stage: "createRuntime", state: state)
                })
            let record = ContainerRecord(
                id: id, bundle: bundle, rootfs: rootfs, pid: pid, pidStartTime: ProcFS.startTime(of: pid), created: created,
                cgroupPath: cgroupPath, hierarchy: ContainerRecord.Hierarchy(hierarchy), spec: spec)
            try store.save(record)
            if let pidFile = options.pidFile { try FileSystem.writeAtomically(absolutePath(pidFile), "\(pid)", mode: 0o644) }
            return record
        } catch {
            if cgroupExisted { try? Cgroups.killAndWait(cgroup) } else { try? cgroup.destroy() }
            try? store.remove(id)
            throw error
        }
    }

    /// config.json's namespaces in the order the init process enters them.
    static func namespacePlan(_ spec: RuntimeSpec) -> [InitRequest.NamespacePlan] {
        let configured = spec.linux?.namespaces ?? []
        return LinuxNames.namespaces.compactMap { known in
            configured.first { $0.type == known.type }.map { InitRequest.NamespacePlan(type: $0.type, path: $0.path) }
        }
    }

    /// Spawns `skiff-runc init` (clone+exec, never fork), puts it in the cgroup and walks it
    /// through the sync protocol. `runHooks` runs when the root filesystem is mounted.
    func launchInit(
        _ request: InitRequest, cgroup: any Cgroup, passing fds: [Int32], preserveFDs: Int32,
        whileInitStarts: () throws -> Void = {}, runHooks: (Int32) throws -> Void = { _ in }
    ) throws -> pid_t {
        // The caller's descriptors, unlike ours, may not be open: say so here, as the spawn
        // would otherwise fail on them with the EBADF the funnel keeps for our own bugs.
        for fd in 3..<(3 + preserveFDs) {
            let open = try sys("fcntl(F_GETFD)", "\(fd)", allowing: [EBADF]) { fcntl(fd, F_GETFD) }
            guard case .succeeded = open else { throw RuntimeError("--preserve-fds \(preserveFDs): descriptor \(fd) is not open") }
        }
        var pair: [Int32] = [0, 0]
        try sys("socketpair", "init sync") { socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) }
        let (parentEnd, childEnd) = (pair[0], pair[1])
        defer { closeFD(parentEnd) }
        var keep: [(from: Int32, to: Int32)] = [(childEnd, childEnd)] + fds.map { ($0, $0) }
        for fd in 0..<preserveFDs { keep.append((3 + fd, 3 + fd)) }
        let initPID: pid_t
        do {
            initPID = try Spawn.start(initExecutable, ["skiff-runc", "init"], environment: ["_SKIFF_INIT_SYNC=\(childEnd)"], keep: keep)
        } catch {
            closeFD(childEnd)
            throw error
        }
        closeFD(childEnd)
        let channel = SyncChannel(fd: parentEnd)
        var containerPID: pid_t = 0
        var initReaped = false
        do {
            try channel.send(request)
            try whileInitStarts()
            try channel.send(InitMessage(.proceed))
            while true {
                guard let message = try channel.receive() else {
                    throw RuntimeError("container init exited before it was ready")
                }
                switch message.kind {
                case .userNamespace:
                    try writeIDMappings(pid: initPID, spec: request.spec)
                    try channel.send(InitMessage(.proceed))
                case .pid:
                    containerPID = message.pid ?? 0
                    _ = try? Spawn.wait(initPID)
                    initReaped = true
                    // The container process joins its cgroup now, while it builds its root
                    // filesystem: the first write to a cgroup.procs waits out an RCU grace period
                    // (most of a container start on v1), and this overlaps the two. It waits for
                    // this message before it runs anything else or execs.
                    try cgroup.add(pid: containerPID)
                    try channel.send(InitMessage(.proceed, pid: containerPID))
                case .runHooks:
                    try runHooks(containerPID)
                    try channel.send(InitMessage(.proceed))
                case .ready:
                    return containerPID
                case .error:
                    throw RuntimeError(message.message ?? "container init failed")
                case .proceed:
                    throw RuntimeError("unexpected message from container init")
                }
            }
        } catch {
            if containerPID > 0 { _ = Glibc.kill(containerPID, SIGKILL) }
            if !initReaped {
                _ = Glibc.kill(initPID, SIGKILL)
                _ = try? Spawn.wait(initPID)
            }
            // A failure on our side (EPIPE, ESRCH) is often the init dying of its own error,
            // which it sent first: report that one. Bounded, in case a stray holder keeps the
            // socket open.
            var timeout = timeval(tv_sec: 1, tv_usec: 0)
            _ = setsockopt(parentEnd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            while let message = try? channel.receive() {
                if message.kind == .error, let text = message.message { throw RuntimeError(text) }
            }
            throw error
        }
    }

    /// Where the init sends the pty master: the caller's --console-socket, connected here and
    /// closed by us afterwards (`owned`), or the foreground socket the caller reads itself.
    func consoleSocket(path: String?, foreground: Int32?) throws -> (fd: Int32, owned: Bool)? {
        if let path { return (try connectUnixSocket(path), true) }
        return foreground.map { ($0, false) }
    }

    func writeIDMappings(pid: pid_t, spec: RuntimeSpec) throws {
        func lines(_ mappings: [RuntimeSpec.IDMapping]?) -> String {
            (mappings ?? []).map { "\($0.containerID) \($0.hostID) \($0.size)\n" }.joined()
        }
        try FileSystem.write("/proc/\(pid)/uid_map", lines(spec.linux?.uidMappings), flags: O_WRONLY)
        try FileSystem.write("/proc/\(pid)/gid_map", lines(spec.linux?.gidMappings), flags: O_WRONLY)
    }
}

func absolutePath(_ path: String) -> String {
    if path.hasPrefix("/") { return path }
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX))
    guard getcwd(&buffer, buffer.count) != nil else { return path }
    let cwd = String(nulTerminated: buffer)
    return path == "." || path.isEmpty ? cwd : cwd + "/" + path
}

func realPath(_ path: String) -> String {
    guard let resolved = realpath(path, nil) else { return path }
    defer { free(resolved) }
    return String(cString: resolved)
}

func connectUnixSocket(_ path: String) throws -> Int32 {
    guard let address = UnixSocketAddress(path) else { throw RuntimeError("console socket path too long: \(path)") }
    let fd = try sys("socket", "AF_UNIX") { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
    do throws(SystemError) {
        try sys("connect", path.quoted) { address.withSockaddr { connect(fd, $0, $1) } }
    } catch {
        closeFD(fd)
        throw error
    }
    return fd
}

/// RFC 3339 with nanoseconds, UTC, as runc writes `created`.
func now() -> String {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    var time = spec.tv_sec
    var parts = tm()
    gmtime_r(&time, &parts)
    func pad(_ value: Int32, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
    let nanos = String(spec.tv_nsec)
    return
        "\(parts.tm_year + 1900)-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(String(repeating: "0", count: 9 - nanos.count) + nanos)Z"
}
