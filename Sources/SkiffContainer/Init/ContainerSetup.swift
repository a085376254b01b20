import CSkiffShim
import Glibc
import SkiffOCI
import SkiffSystem

/// Stage 2 of `create`: runs as the container's first process, in its namespaces.
struct ContainerSetup {
    let request: InitRequest
    let channel: SyncChannel

    var spec: RuntimeSpec { request.spec }
    var linux: RuntimeSpec.Linux { spec.linux ?? RuntimeSpec.Linux() }
    var process: RuntimeSpec.Process { spec.process ?? RuntimeSpec.Process() }

    func has(_ namespace: String, new: Bool) -> Bool {
        request.namespaces.contains { $0.type == namespace && (($0.path ?? "").isEmpty == new) }
    }

    func run() throws -> Never {
        let setup = ProcessSetup(process: process, seccomp: linux.seccomp, consoleSocketFD: request.consoleSocketFD)
        let newMountNamespace = has("mount", new: true)
        try ProcessSetup.newSession()
        // A new network namespace starts with its loopback interface down; runc brings it up.
        if has("network", new: true) { try shim("ioctl", "SIOCSIFFLAGS lo up") { skiff_link_up("lo") } }
        let rootfs = RootfsBuilder(request: request)
        // Mounts overlap the runtime's cgroup attach, except that a new cgroup namespace must
        // exist before the cgroup filesystem is mounted.
        var hostPID: Int32 = 0
        if has("cgroup", new: true) { hostPID = try InitProcess.awaitCgroup(request, channel: channel) }
        if newMountNamespace { try rootfs.mountAll() }
        if !has("cgroup", new: true) { hostPID = try InitProcess.awaitCgroup(request, channel: channel) }

        // The runtime runs prestart and createRuntime hooks now: namespaces exist, root not yet
        // pivoted. Without any, the round trip (two process switches) is skipped.
        if !(spec.hooks?.prestart ?? []).isEmpty || !(spec.hooks?.createRuntime ?? []).isEmpty {
            try channel.send(InitMessage(.runHooks))
            guard let reply = try channel.receive(), reply.kind == .proceed else { _exit(1) }
        }
        let state = ContainerStateReport(
            id: request.id, pid: hostPID, status: .creating, bundle: request.bundle, rootfs: request.rootfs,
            created: "", annotations: spec.annotations)
        try Hooks.run(spec.hooks?.createContainer ?? [], stage: "createContainer", state: state)

        if newMountNamespace {
            try rootfs.pivot()
            // A cwd that does not exist is made (as root, 0755, before a read-only root), as runc does.
            try FileSystem.makeDirectories(process.cwd)
        }
        for (key, value) in (linux.sysctl ?? [:]).sorted(by: { $0.key < $1.key }) {
            let path = "/proc/sys/" + key.split(separator: ".").joined(separator: "/")
            do {
                try FileSystem.write(path, value, flags: O_WRONLY)
            } catch {
                throw RuntimeError("linux.sysctl \(key.quoted): \(error)")
            }
        }
        if newMountNamespace { try rootfs.finishRoot() }
        if has("uts", new: true) {
            if let hostname = spec.hostname {
                try sys("sethostname", hostname.quoted) { sethostname(hostname, hostname.utf8.count) }
            }
            if let domainname = spec.domainname {
                try sys("setdomainname", domainname.quoted) { setdomainname(domainname, domainname.utf8.count) }
            }
        }
        try setup.applyLimits()
        try setup.setUpTerminal()
        if process.terminal == true && newMountNamespace { try rootfs.bindConsole() }
        try setup.changeDirectory()
        let program = try setup.executable()
        try setup.loadSeccompBeforeDroppingPrivileges()
        try setup.dropPrivileges()

        // Block until `start` opens the fifo for reading. The fd was opened O_PATH on the host
        // side; reopening it through /proc/self/fd works after pivot_root.
        guard let fifo = request.execFifoFD else { throw RuntimeError("no exec fifo") }
        try channel.send(InitMessage(.ready))
        closeFD(channel.fd)
        // setuid cleared the dumpable flag, which makes /proc/self/fd unreadable to the new uid;
        // execve sets it again anyway, and nothing but this process is in the container yet.
        try LinuxCalls.prctl(SKIFF_PR_SET_DUMPABLE, 1, "PR_SET_DUMPABLE")
        let writer = try sys("open", "exec fifo") { open("/proc/self/fd/\(fifo)", O_WRONLY | O_CLOEXEC) }
        var zero: UInt8 = 0
        _ = write(writer, &zero, 1)
        closeFD(writer)
        closeFD(fifo)
        _ = skiff_close_range_from(UInt32(3 + request.preserveFDs))

        // The user process has not started yet: the state still says created (as runc's does).
        var started = state
        started.status = .created
        try Hooks.run(spec.hooks?.startContainer ?? [], stage: "startContainer", state: started)
        try setup.loadSeccompLast()
        try setup.exec(program)
    }
}

/// Stage 2 of `exec`: a new process inside a running container's namespaces.
struct ExecSetup {
    let request: InitRequest
    let channel: SyncChannel

    func run() throws -> Never {
        _ = try InitProcess.awaitCgroup(request, channel: channel)
        try ProcessSetup.newSession()
        guard let process = request.spec.process else { throw RuntimeError("exec: no process") }
        let setup = ProcessSetup(process: process, seccomp: request.spec.linux?.seccomp, consoleSocketFD: request.consoleSocketFD)
        try setup.applyLimits()
        try setup.setUpTerminal()
        try setup.changeDirectory()
        let program = try setup.executable()
        try setup.loadSeccompBeforeDroppingPrivileges()
        try setup.dropPrivileges()
        try channel.send(InitMessage(.ready))
        closeFD(channel.fd)
        _ = skiff_close_range_from(UInt32(3 + request.preserveFDs))
        try setup.loadSeccompLast()
        try setup.exec(program)
    }
}
