import CSkiffShim
import Glibc

/// What a finished program printed and how it ended.
public struct CommandOutput: Sendable {
    public var status: ExitStatus
    public var standardOutput: [UInt8]
    public var standardError: [UInt8]

    public var stdout: String { String(decoding: standardOutput, as: UTF8.self) }
    public var stderr: String { String(decoding: standardError, as: UTF8.self) }
}

/// Runs helper programs (CNI plugins, tar, skiff-runc) to completion with clone+exec, feeding
/// stdin and collecting stdout and stderr through pipes. Safe from any thread; it blocks the
/// calling thread until the program ends, so async callers should run it off the cooperative pool.
public enum Command {
    /// Runs `path` with `arguments` (argv[0] is added), writes `input` to its stdin and returns
    /// its output. `environment` nil means this process's environment.
    public static func run(
        _ path: String, _ arguments: [String], environment: [String]? = nil, input: [UInt8] = [],
        directory: String? = nil
    ) throws(SystemError) -> CommandOutput {
        let stdinPipe = try Pipe()
        let stdoutPipe = try Pipe()
        let stderrPipe = try Pipe()
        let pid: pid_t
        do {
            pid = try Spawn.start(
                path, [path] + arguments, environment: environment ?? currentEnvironment(),
                keep: [(stdinPipe.read, 0), (stdoutPipe.write, 1), (stderrPipe.write, 2)], directory: directory)
        } catch {
            stdinPipe.close(); stdoutPipe.close(); stderrPipe.close()
            throw error
        }
        Glibc.close(stdinPipe.read); Glibc.close(stdoutPipe.write); Glibc.close(stderrPipe.write)
        // A program that exits without reading its stdin must not take us down with SIGPIPE:
        // block it on this thread while we write (after the spawn, so the child's mask is
        // untouched) and discard one we raised before unblocking.
        var sigpipe = sigset_t(), previousMask = sigset_t()
        sigemptyset(&sigpipe)
        sigaddset(&sigpipe, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &sigpipe, &previousMask)
        defer {
            var pending = sigset_t()
            sigpending(&pending)
            if sigismember(&pending, SIGPIPE) == 1 {
                var immediately = timespec()
                sigtimedwait(&sigpipe, nil, &immediately)
            }
            pthread_sigmask(SIG_SETMASK, &previousMask, nil)
        }
        // One poll loop for all three pipes, so a program that fills stderr before reading its
        // stdin (or the reverse) cannot deadlock us.
        var pending = input[...]
        var output: [UInt8] = []
        var errors: [UInt8] = []
        var stdinFD = stdinPipe.write
        if pending.isEmpty { Glibc.close(stdinFD); stdinFD = -1 }
        var open = [stdoutPipe.read, stderrPipe.read]
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !open.isEmpty || stdinFD >= 0 {
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if stdinFD >= 0 { fds.append(pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0)) }
            let ready = poll(&fds, nfds_t(fds.count), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            for entry in fds where entry.revents != 0 {
                if entry.fd == stdinFD {
                    let written = pending.withUnsafeBytes { Glibc.write(stdinFD, $0.baseAddress, min($0.count, 65536)) }
                    if written > 0 { pending = pending.dropFirst(written) }
                    if written < 0 && errno != EINTR && errno != EAGAIN { pending = [] }
                    if pending.isEmpty { Glibc.close(stdinFD); stdinFD = -1 }
                    continue
                }
                let count = buffer.withUnsafeMutableBytes { Glibc.read(entry.fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    if entry.fd == stdoutPipe.read { output += buffer[0..<count] } else { errors += buffer[0..<count] }
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    Glibc.close(entry.fd)
                    open.removeAll { $0 == entry.fd }
                }
            }
        }
        let status = try Spawn.wait(pid)
        return CommandOutput(status: status, standardOutput: output, standardError: errors)
    }
}

/// A pipe whose ends are close-on-exec; Spawn dup2s the ends a child should have.
public struct Pipe: Sendable {
    public let read: Int32
    public let write: Int32

    public init() throws(SystemError) {
        var fds: [Int32] = [-1, -1]
        try shim("pipe2", "O_CLOEXEC") { skiff_pipe_cloexec(&fds) }
        (read, write) = (fds[0], fds[1])
    }

    public func close() { Glibc.close(read); Glibc.close(write) }
}
