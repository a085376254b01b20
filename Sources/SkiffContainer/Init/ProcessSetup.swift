import CSkiffShim
import Glibc
import SkiffOCI
import SkiffSystem

/// The steps create and exec share once the process is inside the container: limits, terminal,
/// identity, capabilities, seccomp and the final execve. The order follows runc's, and matters:
/// seccomp without no_new_privs needs CAP_SYS_ADMIN, so it loads before capabilities drop;
/// with no_new_privs it loads last, so as few syscalls as possible run under it.
struct ProcessSetup {
    let process: RuntimeSpec.Process
    let seccomp: RuntimeSpec.Seccomp?
    let consoleSocketFD: Int32?

    func applyLimits() throws {
        if let adj = process.oomScoreAdj {
            try FileSystem.write("/proc/self/oom_score_adj", "\(adj)", flags: O_WRONLY)
        }
        for rlimit in process.rlimits ?? [] {
            guard let resource = LinuxNames.rlimits[rlimit.type] else { continue }
            try shim("setrlimit", "\(rlimit.type) soft \(rlimit.soft) hard \(rlimit.hard)") {
                skiff_prlimit(0, resource, rlimit.soft, rlimit.hard)
            }
        }
    }

    /// Makes the process the leader of a new session and process group, as runc's init does for
    /// every container and exec'd process, with a terminal or without: signals to its group
    /// then reach no process outside the container, and a pty can become its controlling tty.
    static func newSession() throws {
        try sys("setsid", "") { setsid() }
    }

    /// With `terminal`, makes a pty, makes its slave our stdio and controlling terminal, and sends
    /// the master to whoever listens on the console socket.
    func setUpTerminal() throws {
        guard process.terminal == true else { return }
        guard let socket = consoleSocketFD else {
            throw RuntimeError("process.terminal is true but no console socket was given")
        }
        var name = [CChar](repeating: 0, count: 128)
        let master = try shim("posix_openpt", "/dev/ptmx") { skiff_openpt(&name, name.count) }
        let slavePath = String(nulTerminated: name)
        let slave = try sys("open", slavePath.quoted) { open(slavePath, O_RDWR | O_NOCTTY) }
        if let size = process.consoleSize { _ = skiff_set_winsize(slave, size.height, size.width) }
        try shim("ioctl", "TIOCSCTTY") { skiff_set_controlling_tty(slave) }
        for target in Int32(0)...2 { try sys("dup2", "pty -> \(target)") { dup2(slave, target) } }
        if slave > 2 { closeFD(slave) }
        try shim("sendmsg", "console socket") { skiff_send_fd(socket, master, "console") }
        closeFD(master)
        closeFD(socket)
    }

    /// Enters the process's cwd, failing in runc's words.
    func changeDirectory() throws {
        do {
            try sys("chdir", process.cwd.quoted) { chdir(process.cwd) }
        } catch {
            throw RuntimeError("chdir to cwd (\(process.cwd.quoted)) set in config.json failed: \(error.reason)")
        }
    }

    /// The program to exec, found on the process's PATH like execvp would, so a missing program is
    /// an error at create time rather than after start.
    func executable() throws -> String {
        guard let program = process.args?.first else { throw RuntimeError("process.args is empty") }
        if program.contains("/") {
            let usable = try sys("access", program.quoted, allowing: [ENOENT, EACCES, EPERM, ENOTDIR, ELOOP, ENAMETOOLONG]) {
                access(program, X_OK)
            }
            switch usable {
            case .succeeded: return program
            case .failed(ENOENT): throw RuntimeError("exec: \(program.quoted): no such file or directory")
            case .failed: throw RuntimeError("exec: \(program.quoted): permission denied")
            }
        }
        let path =
            environment.first { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) }
            ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(program)"
            var st = stat()
            if stat(candidate, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 { return candidate }
        }
        throw RuntimeError("exec: \(program.quoted): executable file not found in $PATH")
    }

    /// The process's environment, with HOME filled in from the container's /etc/passwd as runc does.
    var environment: [String] {
        var env = process.env ?? []
        if !env.contains(where: { $0.hasPrefix("HOME=") }) {
            env.append("HOME=" + (Self.homeDirectory(uid: process.user.uid) ?? "/"))
        }
        return env
    }

    static func homeDirectory(uid: UInt32) -> String? {
        guard let passwd = try? FileSystem.readString("/etc/passwd") else { return nil }
        for line in passwd.split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            if fields.count >= 6, UInt32(fields[2]) == uid { return String(fields[5]) }
        }
        return nil
    }

    func loadSeccompBeforeDroppingPrivileges() throws {
        if let seccomp, process.noNewPrivileges != true { try Seccomp.load(seccomp) }
    }

    func loadSeccompLast() throws {
        if let seccomp, process.noNewPrivileges == true { try Seccomp.load(seccomp) }
    }

    /// Groups, gid, uid, then capabilities; no_new_privs after.
    func dropPrivileges() throws {
        if let caps = process.capabilities { try Capabilities.limitBoundingSet(caps) }
        try LinuxCalls.prctl(SKIFF_PR_SET_KEEPCAPS, 1, "PR_SET_KEEPCAPS")
        let groups = (process.user.additionalGids ?? []).map { gid_t($0) }
        // setgroups is refused in a user namespace whose setgroups file says deny; that only
        // matters when groups were asked for.
        try sys("setgroups", "\(groups)", allowing: groups.isEmpty ? [EPERM] : []) { setgroups(groups.count, groups) }
        try shim("setresgid", "\(process.user.gid)") { skiff_setresgid(process.user.gid, process.user.gid, process.user.gid) }
        try shim("setresuid", "\(process.user.uid)") { skiff_setresuid(process.user.uid, process.user.uid, process.user.uid) }
        try LinuxCalls.prctl(SKIFF_PR_SET_KEEPCAPS, 0, "PR_SET_KEEPCAPS")
        if let caps = process.capabilities { try Capabilities.applyProcessSets(caps) }
        if process.noNewPrivileges == true { try LinuxCalls.prctl(SKIFF_PR_SET_NO_NEW_PRIVS, 1, "PR_SET_NO_NEW_PRIVS") }
        if let umask = process.user.umask { _ = Glibc.umask(mode_t(umask)) }
    }

    func exec(_ path: String) throws -> Never {
        let args = process.args ?? []
        let env = environment
        try withCStringArray(args) { argv throws(SystemError) in
            try withCStringArray(env) { envp throws(SystemError) in
                // execve returns only to fail, which the funnel throws.
                _ = try sys("execve", path.quoted) { execve(path, argv, envp) }
            }
        }
        fatalError("execve(\(path.quoted)) returned without failing")
    }
}
