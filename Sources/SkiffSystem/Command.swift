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
            stdinPipe.close()
            stdoutPipe.close()
            stderrPipe.close()
            throw error
        }
        closeFD(stdinPipe.read)
        closeFD(stdoutPipe.write)
        closeFD(stderrPipe.write)
        // The child is reaped even when the exchange fails, and only after every pipe is
        // closed, so it sees EOF and EPIPE instead of blocking on us.
        let exchanged = Result { () throws(SystemError) in
            try exchange(input, stdin: stdinPipe.write, stdout: stdoutPipe.read, stderr: stderrPipe.read)
        }
        let status = try Spawn.wait(pid)
        let (output, errors) = try exchanged.get()
        return CommandOutput(status: status, standardOutput: output, standardError: errors)
    }

    /// Writes `input` to the child's stdin while reading its stdout and stderr to EOF, and closes
    /// all three descriptors.
    private static func exchange(
        _ input: [UInt8], stdin: Int32, stdout: Int32, stderr: Int32
    ) throws(SystemError) -> (output: [UInt8], errors: [UInt8]) {
        var pending = input[...]
        var output: [UInt8] = []
        var errors: [UInt8] = []
        var stdinFD = stdin
        var open = [stdout, stderr]
        defer {
            closeFD(stdinFD)
            for fd in open { closeFD(fd) }
        }
        if pending.isEmpty {
            closeFD(stdinFD)
            stdinFD = -1
        }
        // A program that exits without reading its stdin must not take us down with SIGPIPE:
        // block it on this thread while we write (after the spawn, so the child's mask is
        // untouched) and discard one we raised before unblocking.
        var sigpipe = sigset_t()
        var previousMask = sigset_t()
        sigemptyset(&sigpipe)
        sigaddset(&sigpipe, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &sigpipe, &previousMask)
        defer {
            var raised = sigset_t()
            sigpending(&raised)
            if sigismember(&raised, SIGPIPE) == 1 {
                var immediately = timespec()
                sigtimedwait(&sigpipe, nil, &immediately)
            }
            pthread_sigmask(SIG_SETMASK, &previousMask, nil)
        }
        // One poll loop for all three pipes, so a program that fills stderr before reading its
        // stdin (or the reverse) cannot deadlock us.
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !open.isEmpty || stdinFD >= 0 {
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if stdinFD >= 0 { fds.append(pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0)) }
            // ENOMEM, EINVAL: give up on the exchange and let the caller see the exit status,
            // as before.
            let polled = try sys("poll", "command pipes", allowing: [ENOMEM, EINVAL]) { poll(&fds, nfds_t(fds.count), -1) }
            guard case .succeeded = polled else { break }
            for entry in fds where entry.revents != 0 {
                if entry.fd == stdinFD {
                    // EPIPE: the program closed its stdin without reading the rest; drop it.
                    let written = try sys("write", "command stdin", allowing: [EPIPE, EAGAIN]) {
                        pending.withUnsafeBytes { Glibc.write(stdinFD, $0.baseAddress, min($0.count, 65536)) }
                    }
                    switch written {
                    case .succeeded(let count): pending = pending.dropFirst(count)
                    case .failed(EPIPE): pending = []
                    case .failed: break
                    }
                    if pending.isEmpty {
                        closeFD(stdinFD)
                        stdinFD = -1
                    }
                    continue
                }
                let read = try sys("read", entry.fd == stdout ? "command stdout" : "command stderr", allowing: [EAGAIN]) {
                    buffer.withUnsafeMutableBytes { Glibc.read(entry.fd, $0.baseAddress, $0.count) }
                }
                guard case .succeeded(let count) = read else { continue }
                if count > 0 {
                    if entry.fd == stdout { output += buffer[0..<count] } else { errors += buffer[0..<count] }
                } else {
                    closeFD(entry.fd)
                    open.removeAll { $0 == entry.fd }
                }
            }
        }
        return (output, errors)
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

    public func close() {
        closeFD(read)
        closeFD(write)
    }
}
