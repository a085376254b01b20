import Glibc
import SkiffCgroups
import SkiffOCI
import SkiffSystem

extension Runtime {
    public struct ExecOptions: Sendable {
        public var pidFile: String?
        public var consoleSocket: String?
        /// As in `CreateOptions`: where the foreground `exec` reads the pty master from.
        public var foregroundConsole: Int32?
        public var preserveFDs: Int32 = 0
        /// Existing sub-cgroups to run the process in (`--cgroup`): controller ("" for all) → path
        /// relative to the container's cgroup.
        public var subCgroups: [String: String] = [:]
        /// Exec into a paused container (`--ignore-paused`).
        public var ignorePaused = false
        public init() {}

        /// runc's `--cgroup [CONTROLLER[,CONTROLLER…]:]PATH` arguments; a path without controllers
        /// is for every controller and must be the only one.
        public static func subCgroups(_ arguments: [String]) throws -> [String: String] {
            var paths: [String: String] = [:]
            for argument in arguments {
                let parts = argument.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
                switch parts.count {
                case 1:
                    guard arguments.count == 1 else {
                        throw RuntimeError("invalid --cgroup argument: \(argument) (missing <controller>: prefix)")
                    }
                    paths[""] = argument
                case 2:
                    for controller in parts[0].split(separator: ",", omittingEmptySubsequences: false) { paths[String(controller)] = parts[1] }
                default:
                    throw RuntimeError("invalid --cgroup argument: \(argument)")
                }
            }
            return paths
        }
    }

    /// Starts `process` inside a running container: its namespaces, cgroup and seccomp filter.
    /// Returns the new process's host pid.
    public func exec(_ id: String, process: RuntimeSpec.Process, options: ExecOptions) throws -> pid_t {
        let record = try store.load(id)
        switch record.status(stateDirectory: store.directory(id)) {
        case .stopped: throw RuntimeError("cannot exec in a stopped container")
        case .paused where !options.ignorePaused: throw RuntimeError("cannot exec in a paused container (use --ignore-paused to override)")
        default: break
        }
        do {
            try RuntimeSpec.validate(process: process, field: "process")
        } catch {
            throw RuntimeError("\(error.field): \(error.problem)")
        }
        if process.terminal == true && options.consoleSocket == nil && options.foregroundConsole == nil {
            throw RuntimeError("cannot allocate tty if runc will detach without setting console socket")
        }
        var spec = record.spec
        spec.process = process
        var fds: [Int32] = []
        defer { for fd in fds { closeFD(fd) } }
        var passing = fds
        let console = process.terminal == true ? try consoleSocket(path: options.consoleSocket, foreground: options.foregroundConsole) : nil
        if let console {
            passing.append(console.fd)
            if console.owned { fds.append(console.fd) }
        }
        let consoleFD = console?.fd
        let request = InitRequest(
            mode: .exec, id: id, bundle: record.bundle, rootfs: record.rootfs, spec: spec,
            namespaces: Self.namespacesToJoin(pid: record.pid), execFifoFD: nil, consoleSocketFD: consoleFD,
            preserveFDs: options.preserveFDs, noPivot: false, cgroupPath: record.cgroupPath, hierarchy: record.hierarchy)
        let cgroup = options.subCgroups.isEmpty ? record.cgroup : try record.cgroup.subCgroup(options.subCgroups)
        let pid = try launchInit(request, cgroup: cgroup, passing: passing, preserveFDs: options.preserveFDs)
        if let pidFile = options.pidFile { try FileSystem.writeAtomically(absolutePath(pidFile), "\(pid)", mode: 0o644) }
        return pid
    }

    /// Every namespace of `pid` that differs from ours, as paths to join.
    static func namespacesToJoin(pid: pid_t) -> [InitRequest.NamespacePlan] {
        LinuxNames.namespaces.compactMap { namespace in
            let theirs = "/proc/\(pid)/ns/\(namespace.procName)"
            var mine = stat()
            var other = stat()
            guard stat(theirs, &other) == 0 else { return nil }
            if stat("/proc/self/ns/\(namespace.procName)", &mine) == 0 && mine.st_ino == other.st_ino && mine.st_dev == other.st_dev {
                return nil
            }
            return InitRequest.NamespacePlan(type: namespace.type, path: theirs)
        }
    }
}
