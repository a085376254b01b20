import Glibc
import SkiffCgroups
import SkiffOCI
import SkiffSystem

/// The runtime's operations on containers, one method per runc verb.
public struct Runtime: Sendable {
    public let store: StateStore
    public let systemdCgroup: Bool
    /// The binary to re-execute as `init` (normally /proc/self/exe).
    public let initExecutable: String

    public init(root: String, systemdCgroup: Bool = false, initExecutable: String = "/proc/self/exe") {
        self.store = StateStore(root: root)
        self.systemdCgroup = systemdCgroup
        self.initExecutable = initExecutable
    }

    public struct CreateOptions: Sendable {
        public var bundle: String
        public var pidFile: String?
        public var consoleSocket: String?
        /// One end of a socket the caller reads the pty master from, used when the process asks
        /// for a terminal and no console socket was given (`run` in the foreground).
        public var foregroundConsole: Int32?
        public var noPivot = false
        public var preserveFDs: Int32 = 0

        public init(bundle: String) { self.bundle = bundle }
    }

    public func state(_ id: String) throws -> ContainerStateReport {
        try store.load(id).report(stateDirectory: store.directory(id))
    }

    public func list() -> [ContainerStateReport] {
        store.ids().compactMap { try? state($0) }
    }

    /// Opens the exec fifo for reading, which releases the container process into execve.
    public func start(_ id: String) throws {
        try start(try store.load(id))
    }

    /// `start` of a container whose record the caller already holds (`run` right after `create`).
    public func start(_ record: ContainerRecord) throws {
        let directory = store.directory(record.id)
        switch record.status(stateDirectory: directory) {
        case .created: break
        case .stopped: throw RuntimeError("cannot start a container that has stopped")
        default: throw RuntimeError("cannot start an already running container")
        }
        let fifoPath = directory + "/exec.fifo"
        // Non-blocking, so a container that died before opening its end cannot hang us.
        let fd = try sys("open", fifoPath.quoted) { open(fifoPath, O_RDONLY | O_NONBLOCK | O_CLOEXEC) }
        defer { closeFD(fd) }
        var byte: UInt8 = 0
        while read(fd, &byte, 1) != 1 {
            // A fast process may write its byte, exec and exit between our read and this check:
            // the byte is still in the fifo, so read once more before calling it stopped.
            if !record.isAlive {
                guard read(fd, &byte, 1) == 1 else { throw RuntimeError("cannot start a container that has stopped") }
                break
            }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&poller, 1, 5)
        }
        _ = unlink(fifoPath)
        var report = record.report(stateDirectory: directory)
        report.status = .running
        do {
            try Hooks.run(record.spec.hooks?.poststart ?? [], stage: "poststart", state: report)
        } catch {
            // A failed poststart hook fails the container: runc kills and deletes it (poststop
            // hooks run), and so do we.
            try? delete(record, force: true)
            throw error
        }
    }

    public func kill(_ id: String, signal: Int32, all: Bool) throws {
        let record = try store.load(id)
        let status = record.status(stateDirectory: store.directory(id))
        guard status != .stopped else { throw RuntimeError("container not running") }
        if all {
            let cgroup = record.cgroup
            let pids = try cgroup.processes()
            for pid in pids { _ = Glibc.kill(pid, signal) }
            // A frozen process only sees the signal once thawed, as runc does for kill --all.
            if status == .paused && (signal == SIGKILL || signal == SIGTERM) { try? cgroup.setFrozen(false) }
        } else {
            try sys("kill", "\(record.pid), signal \(signal)") { Glibc.kill(record.pid, signal) }
        }
    }

    /// Removes a stopped (or, with `force`, any) container: processes, cgroup, state.
    public func delete(_ id: String, force: Bool) throws {
        let record: ContainerRecord
        do {
            record = try store.load(id)
        } catch {
            // A create that died before writing state.json leaves only the directory.
            try StateStore.validate(id: id)
            if FileSystem.exists(store.directory(id)) {
                try store.remove(id)
                return
            }
            if force { return }
            throw error
        }
        try delete(record, force: force)
    }

    /// `delete` of a container whose record the caller already holds (`run` when it exits).
    public func delete(_ record: ContainerRecord, force: Bool) throws {
        let id = record.id
        let directory = store.directory(id)
        let status = record.status(stateDirectory: directory)
        if status == .running || status == .paused {
            guard force else {
                throw RuntimeError("cannot delete container \(id) that is not stopped: \(status.rawValue)")
            }
        }
        if status != .stopped { _ = Glibc.kill(record.pid, SIGKILL) }
        try record.cgroup.destroy()
        var report = record.report(stateDirectory: directory)
        report.status = .stopped
        try store.remove(id)
        // poststop failures are reported but never keep a container around.
        do {
            try Hooks.run(record.spec.hooks?.poststop ?? [], stage: "poststop", state: report)
        } catch {
            throw RuntimeError("container deleted, but \(error)")
        }
    }

    public func processes(_ id: String) throws -> [pid_t] {
        try store.load(id).cgroup.processes()
    }

    public func pause(_ id: String) throws {
        let record = try store.load(id)
        guard record.status(stateDirectory: store.directory(id)) == .running else { throw RuntimeError("container not running") }
        try record.cgroup.setFrozen(true)
    }

    public func resume(_ id: String) throws {
        let record = try store.load(id)
        guard record.status(stateDirectory: store.directory(id)) == .paused else { throw RuntimeError("container not paused") }
        try record.cgroup.setFrozen(false)
    }

    public func update(_ id: String, resources: RuntimeSpec.Resources) throws {
        var record = try store.load(id)
        guard record.status(stateDirectory: store.directory(id)) != .stopped else { throw RuntimeError("container not running") }
        var resources = resources
        // A quota without a period (or the reverse) keeps the other at its current value, as
        // runc's update does; v2's cpu.max takes both at once.
        if var cpu = resources.cpu, let current = record.spec.linux?.resources?.cpu {
            if cpu.quota != nil && cpu.period == nil { cpu.period = current.period }
            if cpu.period != nil && cpu.quota == nil { cpu.quota = current.quota }
            resources.cpu = cpu
        }
        // Swap is memory+swap in config.json: v2's memory.swap.max needs the memory limit too.
        if var memory = resources.memory, memory.swap != nil, memory.limit == nil {
            memory.limit = record.spec.linux?.resources?.memory?.limit
            resources.memory = memory
        }
        try record.cgroup.apply(resources)
        var linux = record.spec.linux ?? RuntimeSpec.Linux()
        linux.resources = resources.merged(over: linux.resources)
        record.spec.linux = linux
        try store.save(record)
    }

    public func stats(_ id: String) throws -> CgroupStats {
        let record = try store.load(id)
        guard record.status(stateDirectory: store.directory(id)) != .stopped else { throw RuntimeError("container not running") }
        return try record.cgroup.stats()
    }
}

extension RuntimeSpec.Resources {
    /// Fields set here replace the same fields in `base` (memory and cpu field by field); the
    /// rest of `base` stays.
    func merged(over base: RuntimeSpec.Resources?) -> RuntimeSpec.Resources {
        guard var result = base else { return self }
        if let memory {
            var merged = result.memory ?? RuntimeSpec.Memory()
            merged.limit = memory.limit ?? merged.limit
            merged.reservation = memory.reservation ?? merged.reservation
            merged.swap = memory.swap ?? merged.swap
            merged.swappiness = memory.swappiness ?? merged.swappiness
            merged.disableOOMKiller = memory.disableOOMKiller ?? merged.disableOOMKiller
            result.memory = merged
        }
        if let cpu {
            var merged = result.cpu ?? RuntimeSpec.CPU()
            merged.shares = cpu.shares ?? merged.shares
            merged.quota = cpu.quota ?? merged.quota
            merged.period = cpu.period ?? merged.period
            merged.burst = cpu.burst ?? merged.burst
            merged.idle = cpu.idle ?? merged.idle
            merged.realtimeRuntime = cpu.realtimeRuntime ?? merged.realtimeRuntime
            merged.realtimePeriod = cpu.realtimePeriod ?? merged.realtimePeriod
            merged.cpus = cpu.cpus ?? merged.cpus
            merged.mems = cpu.mems ?? merged.mems
            result.cpu = merged
        }
        if let pids { result.pids = pids }
        if let blockIO { result.blockIO = blockIO }
        if let hugepageLimits { result.hugepageLimits = hugepageLimits }
        if let unified { result.unified = (result.unified ?? [:]).merging(unified) { $1 } }
        return result
    }
}
