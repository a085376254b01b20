import Dispatch
import Glibc
import SkiffAPI
import SkiffNodeAPI
import SkiffSystem
import Synchronization

/// `kubectl exec`: `skiff-runc exec` in the foreground with the container's own environment,
/// working directory, user and capabilities, its stdio on pipes the node API relays. With a tty,
/// skiff-runc gives the process a pty and proxies it to those pipes.
final class ContainerExecSession: ExecSession {
    let pid: pid_t
    let stdinFD: Mutex<Int32>
    let stdout: AsyncStream<[UInt8]>
    let stderr: AsyncStream<[UInt8]>
    private let exitCode: Task<Int32, Never>
    private let processFile: String

    static func start(runtimePath: String, runtimeRoot: String, containerID: String, bundle: String, command: [String], tty: Bool) throws -> ContainerExecSession {
        let config = (try? JSON(parsing: FileSystem.readString(bundle + "/config.json"))) ?? .null
        var process = config["process"]
        process["args"] = .array(command.map { .string($0) })
        process["terminal"] = .bool(tty)
        if tty, !(process["env"].array ?? []).contains(where: { $0.string?.hasPrefix("TERM=") == true }) {
            process["env"] = .array((process["env"].array ?? []) + ["TERM=xterm"])
        }
        let processFile = bundle + "/exec-\(UInt64.random(in: 0...UInt64.max)).json"
        try FileSystem.writeAtomically(processFile, process.serialized)
        let input = try Pipe(), output = try Pipe(), errors = try Pipe()
        var arguments = [runtimePath, "--root", runtimeRoot, "exec", "--process", processFile]
        if tty { arguments.append("--tty") }
        arguments.append(containerID)
        let pid: pid_t
        do {
            pid = try Spawn.start(runtimePath, arguments, environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
                                  keep: [(input.read, 0), (output.write, 1), (errors.write, 2)], newSession: true)
        } catch {
            input.close(); output.close(); errors.close()
            unlink(processFile)
            throw error
        }
        close(input.read); close(output.write); close(errors.write)
        return ContainerExecSession(pid: pid, stdin: input.write, stdout: output.read, stderr: errors.read, processFile: processFile)
    }

    private init(pid: pid_t, stdin: Int32, stdout: Int32, stderr: Int32, processFile: String) {
        self.pid = pid
        self.stdinFD = Mutex(stdin)
        self.processFile = processFile
        self.stdout = Self.stream(reading: stdout)
        self.stderr = Self.stream(reading: stderr)
        exitCode = Task {
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    var status: Int32 = 0
                    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                    unlink(processFile)
                    continuation.resume(returning: ExitStatus(waitStatus: status).code)
                }
            }
        }
    }

    /// Reads a pipe on a Dispatch thread until EOF, yielding what arrives.
    private static func stream(reading fd: Int32) -> AsyncStream<[UInt8]> {
        AsyncStream { continuation in
            DispatchQueue.global().async {
                var buffer = [UInt8](repeating: 0, count: 32 * 1024)
                while true {
                    let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                    if count > 0 {
                        continuation.yield(Array(buffer[0..<count]))
                    } else if count < 0 && errno == EINTR {
                        continue
                    } else {
                        break
                    }
                }
                close(fd)
                continuation.finish()
            }
        }
    }

    func writeStdin(_ bytes: [UInt8]) async throws {
        let fd = stdinFD.withLock { $0 }
        guard fd >= 0 else { return }
        try await blocking { try FileSystem.writeAll(fd: fd, bytes, name: "exec stdin") }
    }

    func closeStdin() async {
        stdinFD.withLock { fd in
            if fd >= 0 { close(fd) }
            fd = -1
        }
    }

    func resize(width: UInt16, height: UInt16) async {
        // skiff-runc's terminal proxy sizes the pty from its own stdin; over pipes there is no
        // size to forward, so resize events are accepted and not applied.
    }

    func wait() async -> Int32 {
        await exitCode.value
    }

    func terminate() async {
        kill(pid, SIGKILL)
        await closeStdin()
    }
}
