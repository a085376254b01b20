import Glibc
import SkiffContainer
import SkiffOCI
import SkiffSystem

extension Commands {
    func exec(_ arguments: ArraySlice<String>) throws -> Int32 {
        let args = try Arguments(
            arguments,
            valued: [
                ["process", "p"], ["pid-file"], ["console-socket"], ["env", "e"], ["cwd"], ["user", "u"],
                ["cap", "c"], ["additional-gids", "g"], ["preserve-fds"], ["process-label"], ["apparmor"], ["cgroup"],
            ],
            switches: [["detach", "d"], ["tty", "t"], ["no-new-privs"], ["ignore-paused"]])
        let id = try args.id("exec")
        let record = try runtime.store.load(id)
        var process: RuntimeSpec.Process
        if let path = args.value("process") {
            let bytes = path == "-" ? try StandardStream.input.readAll() : try FileSystem.readBytes(path)
            process = try RuntimeSpec.decode(bytes, as: RuntimeSpec.Process.self, what: "process \(path)")
        } else {
            let command = Array(args.positionals.dropFirst())
            guard !command.isEmpty else { throw RuntimeError("exec: no command given (usage: skiff-runc exec ID COMMAND [ARGS…])") }
            // The container's own process is the template, as runc does.
            process = record.spec.process ?? RuntimeSpec.Process()
            process.args = command
            process.terminal = args.flag("tty")
            process.consoleSize = nil
            process.env = (process.env ?? []) + args.all("env")
            if let cwd = args.value("cwd") { process.cwd = cwd }
            if let user = args.value("user") {
                let parts = user.split(separator: ":")
                guard let uid = parts.first.flatMap({ UInt32($0) }) else { throw RuntimeError("invalid --user \(user.quoted): want UID[:GID]") }
                process.user.uid = uid
                process.user.gid = parts.count > 1 ? UInt32(parts[1]) ?? 0 : 0
            }
            for gid in args.all("additional-gids") {
                guard let value = UInt32(gid) else { throw RuntimeError("invalid --additional-gids \(gid.quoted)") }
                process.user.additionalGids = (process.user.additionalGids ?? []) + [value]
            }
            if args.flag("no-new-privs") { process.noNewPrivileges = true }
            let extra = args.all("cap")
            if !extra.isEmpty {
                var caps = process.capabilities ?? RuntimeSpec.Capabilities()
                caps.bounding = (caps.bounding ?? []) + extra
                caps.effective = (caps.effective ?? []) + extra
                caps.permitted = (caps.permitted ?? []) + extra
                caps.ambient = (caps.ambient ?? []) + extra
                process.capabilities = caps
            }
        }
        var options = Runtime.ExecOptions()
        options.pidFile = args.value("pid-file")
        options.consoleSocket = args.value("console-socket")
        options.preserveFDs = Int32(try args.int("preserve-fds") ?? 0)
        options.subCgroups = try Runtime.ExecOptions.subCgroups(args.all("cgroup"))
        options.ignorePaused = args.flag("ignore-paused")
        let detach = args.flag("detach")
        var console: Foreground.Console?
        if !detach {
            Foreground.becomeSubreaper()
            if options.consoleSocket == nil && process.terminal == true {
                console = try Foreground.Console()
                options.foregroundConsole = console?.theirs
            }
        }
        let pid = try runtime.exec(id, process: process, options: options)
        let master = console?.receiveMaster()
        return detach ? 0 : Foreground.wait(for: pid, console: master)
    }

    func ps(_ arguments: ArraySlice<String>) throws -> Int32 {
        let args = try Arguments(arguments, valued: [["format", "f"]], switches: [])
        let id = try args.id("ps")
        let pids = try runtime.processes(id)
        if args.value("format") == "json" {
            FileSystem.standardOutput("[" + pids.map(String.init).joined(separator: ",") + "]\n")
            return 0
        }
        // Table format: the host's ps, filtered to the container's pids, as runc does.
        let psOptions = args.positionals.count > 1 ? Array(args.positionals.dropFirst()) : ["-ef"]
        let output = try capture("/bin/ps", ["ps"] + psOptions)
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        guard let header = lines.first else { return 0 }
        guard let pidColumn = header.split(separator: " ").firstIndex(of: "PID") else {
            throw RuntimeError("ps: no PID column in the output of ps \(psOptions.joined(separator: " "))")
        }
        var result = String(header) + "\n"
        for line in lines.dropFirst() {
            let fields = line.split(separator: " ")
            if fields.count > pidColumn, let pid = pid_t(fields[pidColumn]), pids.contains(pid) { result += line + "\n" }
        }
        FileSystem.standardOutput(result)
        return 0
    }

    /// Runs a program and returns its stdout.
    func capture(_ path: String, _ argv: [String]) throws -> String {
        var pipeFDs: [Int32] = [0, 0]
        try sys("pipe", "capture") { pipe(&pipeFDs) }
        let pid = try Spawn.start(path, argv, environment: currentEnvironment(), keep: [(from: pipeFDs[1], to: 1)])
        closeFD(pipeFDs[1])
        let bytes = try FileSystem.readAll(fd: pipeFDs[0], name: path)
        closeFD(pipeFDs[0])
        let status = try Spawn.wait(pid)
        guard status == .exited(0) else { throw RuntimeError("\(path) failed: \(status)") }
        return String(decoding: bytes, as: UTF8.self)
    }
}
