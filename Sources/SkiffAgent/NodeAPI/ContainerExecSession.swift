import Dispatch
import Glibc
import SkiffAPI
import SkiffNodeAPI
import SkiffOCI
import SkiffSystem
import Synchronization

/// `kubectl exec`: `skiff-runc exec` in the foreground with the container's own environment,
/// working directory, user and capabilities, its stdio on pipes the node API relays. With a tty,
/// skiff-runc gives the process a pty and sends its master here, so output, input and resizes
/// go through the terminal itself.
final class ContainerExecSession: ExecSession {
    let pid: pid_t
    /// stdin's pipe, or with a terminal a duplicate of the pty master (writes and resizes).
    let stdinFD: Mutex<Int32>
    let terminal: Bool
    let stdout: AsyncStream<[UInt8]>
    let stderr: AsyncStream<[UInt8]>
    private let exitCode: Task<Int32, Never>
    private let processFile: String

    static func start(
        runtimePath: String, runtimeRoot: String, containerID: String, bundle: String, command: [String], tty: Bool
    ) throws -> ContainerExecSession {
        // The container's own process settings (environment, cwd, user, capabilities) with the command swapped in.
        let config = try RuntimeSpec.decode(FileSystem.readBytes(bundle + "/config.json"), what: "\(bundle)/config.json")
        var process = config.process ?? RuntimeSpec.Process()
        process.args = command
        process.terminal = tty
        if tty, !(process.env ?? []).contains(where: { $0.hasPrefix("TERM=") }) {
            process.env = (process.env ?? []) + ["TERM=xterm"]
        }
        let processFile = bundle + "/exec-\(UInt64.random(in: 0...UInt64.max)).json"
        try FileSystem.writeAtomically(processFile, process.json.serialized)
        do {
            return try tty
                ? startWithTerminal(runtimePath: runtimePath, runtimeRoot: runtimeRoot, containerID: containerID, processFile: processFile)
                : startWithPipes(runtimePath: runtimePath, runtimeRoot: runtimeRoot, containerID: containerID, processFile: processFile)
        } catch {
            unlink(processFile)
            throw error
        }
    }

    private static func startWithPipes(runtimePath: String, runtimeRoot: String, containerID: String, processFile: String) throws -> ContainerExecSession {
        let input = try Pipe()
        let output = try Pipe()
        let errors = try Pipe()
        let pid: pid_t
        do {
            pid = try Spawn.start(
                runtimePath, [runtimePath, "--root", runtimeRoot, "exec", "--process", processFile, containerID],
                environment: environment, keep: [(input.read, 0), (output.write, 1), (errors.write, 2)], newSession: true)
        } catch {
            input.close()
            output.close()
            errors.close()
            throw error
        }
        closeFD(input.read)
        closeFD(output.write)
        closeFD(errors.write)
        return attach(pid: pid, stdin: input.write, stdout: output.read, stderr: errors.read, terminal: false, processFile: processFile)
    }

    /// The runtime hands the pty master over `--console-socket` (as it does to containerd's
    /// shim), so the agent holds the terminal itself and can apply kubectl's resize events.
    private static func startWithTerminal(runtimePath: String, runtimeRoot: String, containerID: String, processFile: String) throws -> ContainerExecSession {
        // sun_path holds 108 bytes, too few for a path under the container's directory.
        let directory = FileSystem.exists("/run") ? "/run" : "/tmp"
        let console = try ConsoleSocket(path: "\(directory)/skiff-exec-\(String(UInt64.random(in: 0...UInt64.max), radix: 36)).sock")
        let errors = try Pipe()
        let null = try sys("open", "/dev/null") { open("/dev/null", O_RDWR | O_CLOEXEC) }
        defer { closeFD(null) }
        let pid: pid_t
        do {
            pid = try Spawn.start(
                runtimePath, [runtimePath, "--root", runtimeRoot, "exec", "--process", processFile, "--tty", "--console-socket", console.path, containerID],
                environment: environment, keep: [(null, 0), (null, 1), (errors.write, 2)], newSession: true)
        } catch {
            errors.close()
            throw error
        }
        closeFD(errors.write)
        let master: Int32
        do {
            let exited = try Spawn.pidfd(pid)
            defer { closeFD(exited) }
            master = try console.receiveMaster(timeoutMilliseconds: 30_000, giveUpWhenReadable: exited)
        } catch {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            _ = try? sys("waitpid", "skiff-runc exec \(pid)") { waitpid(pid, &status, 0) }
            let message = (try? FileSystem.readAll(fd: errors.read, name: "skiff-runc exec stderr")).map { String(decoding: $0, as: UTF8.self) } ?? ""
            closeFD(errors.read)
            throw NodeAPIError.badRequest(message.isEmpty ? "exec: \(error)" : message.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let control: Int32
        do {
            control = try sys("dup", "pty master \(master)") { dup(master) }
        } catch {
            closeFD(master)
            closeFD(errors.read)
            throw error
        }
        return attach(pid: pid, stdin: control, stdout: master, stderr: errors.read, terminal: true, processFile: processFile)
    }

    private static let environment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]

    /// The session around a started `skiff-runc exec`: its output readers and the wait for its
    /// exit start here, not in `init`.
    private static func attach(pid: pid_t, stdin: Int32, stdout: Int32, stderr: Int32, terminal: Bool, processFile: String) -> ContainerExecSession {
        let exitCode = Task {
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    var status: Int32 = 0
                    _ = try? sys("waitpid", "skiff-runc exec \(pid)") { waitpid(pid, &status, 0) }
                    unlink(processFile)
                    continuation.resume(returning: ExitStatus(waitStatus: status).code)
                }
            }
        }
        return ContainerExecSession(
            pid: pid, stdin: stdin, stdout: stream(reading: stdout), stderr: stream(reading: stderr), exitCode: exitCode, terminal: terminal,
            processFile: processFile)
    }

    private init(
        pid: pid_t, stdin: Int32, stdout: AsyncStream<[UInt8]>, stderr: AsyncStream<[UInt8]>, exitCode: Task<Int32, Never>, terminal: Bool,
        processFile: String
    ) {
        self.pid = pid
        self.stdinFD = Mutex(stdin)
        self.terminal = terminal
        self.processFile = processFile
        self.stdout = stdout
        self.stderr = stderr
        self.exitCode = exitCode
    }

    /// Reads a pipe on a Dispatch thread until EOF, yielding what arrives.
    private static func stream(reading fd: Int32) -> AsyncStream<[UInt8]> {
        AsyncStream { continuation in
            DispatchQueue.global().async {
                var buffer = [UInt8](repeating: 0, count: 32 * 1024)
                // Ends at EOF, or at an error: a pty reports EIO once the process's side closes.
                while let count = try? sys("read", "exec output \(fd)", { buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) } }),
                    count > 0
                {
                    continuation.yield(Array(buffer[0..<count]))
                }
                closeFD(fd)
                continuation.finish()
            }
        }
    }

    func writeStdin(_ bytes: [UInt8]) async throws {
        // A duplicate taken under the lock: `closeControl` may close the shared descriptor while
        // this write waits for the process to read, and the number could then name another file.
        let fd = try stdinFD.withLock { fd -> Int32 in
            guard fd >= 0 else { return -1 }
            return try sys("dup", "exec stdin \(fd)") { dup(fd) }
        }
        guard fd >= 0 else { return }
        defer { closeFD(fd) }
        try await blocking { try FileSystem.writeAll(fd: fd, bytes, name: "exec stdin") }
    }

    func closeStdin() async {
        // A terminal has no end-of-input of its own: the master stays open for output and resizes.
        guard !terminal else { return }
        closeControl()
    }

    private func closeControl() {
        stdinFD.withLock { fd in
            closeFD(fd)
            fd = -1
        }
    }

    func resize(width: UInt16, height: UInt16) async {
        guard terminal else { return }
        stdinFD.withLock { fd in
            guard fd >= 0 else { return }
            try? setWindowSize(fd: fd, rows: height, columns: width)
        }
    }

    func wait() async -> Int32 {
        let code = await exitCode.value
        // The pty's reader ends on its own (EIO once the process's side is closed); the
        // duplicate used for input and resizes has no use left.
        if terminal { closeControl() }
        return code
    }

    deinit {
        closeControl()
    }

    func terminate() async {
        kill(pid, SIGKILL)
        closeControl()
    }
}
