import CSkiffShim
import Glibc
import SkiffJSON
import SkiffOCI
import SkiffSystem

/// Runs OCI hooks: each gets the container's state as JSON on stdin; a non-zero exit fails the stage.
enum Hooks {
    static func run(_ hooks: [RuntimeSpec.Hook], stage: String, state: ContainerStateReport) throws {
        guard !hooks.isEmpty else { return }
        let json = state.json.bytes
        for (index, hook) in hooks.enumerated() {
            var pipeFDs: [Int32] = [0, 0]
            try shim("pipe2", "hook stdin") { skiff_pipe_cloexec(&pipeFDs) }
            let pid: pid_t
            do {
                // A hook without `env` inherits the runtime's whole environment (PATH included),
                // as runc's do; an `env`, even an empty one, is all the hook gets.
                pid = try Spawn.start(
                    hook.path, hook.args ?? [hook.path], environment: hook.env ?? currentEnvironment(),
                    keep: [(from: pipeFDs[0], to: 0)])
            } catch {
                closeFD(pipeFDs[0])
                closeFD(pipeFDs[1])
                throw RuntimeError("\(stage) hook #\(index) (\(hook.path)): \(error)")
            }
            closeFD(pipeFDs[0])
            // A hook that does not read its stdin must not block us: ignore EPIPE.
            let old = signal(SIGPIPE, SIG_IGN)
            try? FileSystem.writeAll(fd: pipeFDs[1], json, name: "hook stdin")
            signal(SIGPIPE, old)
            closeFD(pipeFDs[1])
            let status = try wait(pid, timeout: hook.timeout)
            guard status == .exited(0) else {
                throw RuntimeError("\(stage) hook #\(index) (\(hook.path)) failed: \(status)")
            }
        }
    }

    /// Waits for a hook, killing it after `timeout` seconds.
    private static func wait(_ pid: pid_t, timeout: Int?) throws -> ExitStatus {
        guard let timeout, timeout > 0 else { return try Spawn.wait(pid) }
        let deadline = Int(timeout) * 100
        for _ in 0..<deadline {
            var status: Int32 = 0
            let result = try sys("waitpid", "\(pid)") { waitpid(pid, &status, WNOHANG) }
            if result == pid { return ExitStatus(waitStatus: status) }
            usleep(10_000)
        }
        kill(pid, SIGKILL)
        _ = try Spawn.wait(pid)
        throw RuntimeError("hook \(pid) timed out after \(timeout)s")
    }
}
