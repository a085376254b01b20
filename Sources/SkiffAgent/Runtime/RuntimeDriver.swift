import Glibc
import SkiffAPI
import SkiffOCI
import SkiffSystem

/// A container-level failure the pod's status reports (CreateContainerError, RunContainerError…).
struct ContainerRuntimeError: Error, CustomStringConvertible, Sendable {
    let reason: String
    let message: String
    var description: String { "\(reason): \(message)" }
}

/// Drives skiff-runc and the per-container monitor. Every call spawns (clone+exec) and waits on a
/// Dispatch thread; nothing here forks the agent.
struct RuntimeDriver: ContainerRuntime {
    let runtimePath: String
    let runtimeRoot: String
    let monitorPath: String

    /// Starts the monitor, which runs `skiff-runc create` with the container's stdio on its log
    /// pipes and then outlives us; returns the container's init pid and the monitor's pid. With
    /// stdin or a tty the monitor keeps the container's stdin and serves attach sessions.
    func create(id: String, bundle: String, stateDirectory: String, logPath: String, stdio: ContainerStdio) async throws -> (pid: Int32, monitor: Int32) {
        let runtimePath = runtimePath
        let runtimeRoot = runtimeRoot
        let monitorPath = monitorPath
        return try await blocking {
            let pipe = try Pipe()
            let fds = [pipe.read, pipe.write]
            let monitor: pid_t
            do {
                monitor = try Spawn.start(
                    monitorPath,
                    [
                        monitorPath, "--runtime", runtimePath, "--runtime-root", runtimeRoot, "--id", id, "--bundle", bundle,
                        "--state-dir", stateDirectory, "--log-path", logPath,
                    ] + stdio.monitorArguments,
                    environment: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                    keep: [(fds[1], 3)], newSession: true)
            } catch {
                closeFD(fds[0])
                closeFD(fds[1])
                throw error
            }
            closeFD(fds[1])
            defer { closeFD(fds[0]) }
            let reply = String(decoding: (try? FileSystem.readAll(fd: fds[0], name: "monitor result")) ?? [], as: UTF8.self)
                .trimmingCharacters(in: "\n ")
            if reply.hasPrefix("created "), let pid = Int32(reply.dropFirst("created ".count)) {
                return (pid, monitor)
            }
            var status: Int32 = 0
            _ = try? sys("waitpid", "monitor \(monitor)") { waitpid(monitor, &status, 0) }
            let message =
                reply.hasPrefix("error ") ? String(reply.dropFirst("error ".count)) : "monitor ended without a result (\(ExitStatus(waitStatus: status)))"
            throw ContainerRuntimeError(reason: "CreateContainerError", message: message)
        }
    }

    func start(id: String) async throws {
        try await runtime(["start", id], reason: "RunContainerError")
    }

    /// Signals the container's init; a container that already stopped is not an error.
    func kill(id: String, signal: Int32) async {
        _ = try? await runtime(["kill", id, "\(signal)"], reason: "KillContainerError")
    }

    func delete(id: String) async {
        _ = try? await runtime(["delete", "--force", id], reason: "DeleteContainerError")
    }

    /// The runtime's view of a container: "created", "running", "stopped", or nil if unknown.
    func state(id: String) async -> (status: String, pid: Int32)? {
        let output = try? await runtimeOutput(["state", id])
        guard let output, output.status == .exited(0), let json = try? JSON(parsing: output.standardOutput) else { return nil }
        return (json["status"].string ?? "unknown", Int32(json["pid"].int ?? 0))
    }

    /// Runs a command in the container to completion (exec probes, lifecycle hooks) and returns
    /// its exit code and combined output, killing it after `timeout` seconds.
    func execAndWait(id: String, process: RuntimeSpec.Process, timeout: Double) async throws -> (exitCode: Int32, output: String) {
        let runtimePath = runtimePath
        let runtimeRoot = runtimeRoot
        return try await blocking {
            let file = "/tmp/skiff-exec-\(id.prefix(12))-\(UInt64.random(in: 0...UInt64.max)).json"
            try FileSystem.writeAtomically(file, process.json.serialized)
            defer { unlink(file) }
            let output = try Command.run(
                "/usr/bin/timeout", ["--signal=KILL", "\(max(1, timeout))", runtimePath, "--root", runtimeRoot, "exec", "--process", file, id])
            let text = output.stdout + output.stderr
            return (output.status.code, text)
        }
    }

    @discardableResult
    private func runtime(_ arguments: [String], reason: String) async throws -> CommandOutput {
        let output = try await runtimeOutput(arguments)
        guard output.status == .exited(0) else {
            throw ContainerRuntimeError(reason: reason, message: Self.errorMessage(output))
        }
        return output
    }

    private func runtimeOutput(_ arguments: [String]) async throws -> CommandOutput {
        let runtimePath = runtimePath
        let runtimeRoot = runtimeRoot
        return try await blocking { try Command.run(runtimePath, ["--root", runtimeRoot] + arguments) }
    }

    /// skiff-runc prints `level=error msg="…"`-style lines on stderr; the last one says why.
    static func errorMessage(_ output: CommandOutput) -> String {
        let lines = output.stderr.split(separator: "\n")
        return lines.last.map(String.init) ?? output.status.description
    }

    /// Reaps a monitor we started once its container has ended (it exits right after writing
    /// exit.json), so it does not linger as a zombie while the agent lives.
    func reap(monitor pid: Int32) async {
        await blocking {
            for _ in 0..<100 {
                var status: Int32 = 0
                let result = waitpid(pid, &status, WNOHANG)
                if result != 0 { return }
                usleep(20_000)
            }
        }
    }
}
