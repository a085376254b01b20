import Dispatch
import Glibc
import SkiffNodeAPI
import SkiffSystem

/// `kubectl attach`: a client of the container's monitor, which keeps the stdin (pipe or pty
/// master) of containers created with `stdin` or `tty` and serves `STATE/attach`, a
/// SOCK_SEQPACKET socket (skiff-monitor's attach.c). Each packet starts with a kind byte, the exec
/// channel numbers: 0 stdin, 4 resize, 255 end of input from us; 1 stdout, 2 stderr from it,
/// then EOF once the container has exited. The monitor outlives the agent, so a session can
/// start after an agent restart.
final class ContainerAttachSession: ExecSession {
    let stdout: AsyncStream<[UInt8]>
    let stderr: AsyncStream<[UInt8]>
    /// The connected socket, shared with the reader thread; closed when both are done with it,
    /// so no write or read ever names a closed (or reused) descriptor.
    private let connection: Connection
    private var socket: Int32 { connection.fd }
    private let ended: Task<Int32, Never>

    final class Connection: Sendable {
        let fd: Int32
        init(fd: Int32) { self.fd = fd }
        deinit { closeFD(fd) }
    }

    /// The monitor reads one packet of at most this much input at a time (ATTACH_PACKET − 1).
    static let maximumInput = 16384
    /// Output packets are at most 16 KiB + 1 and the kind byte.
    static let receiveBuffer = 64 * 1024

    enum Kind: UInt8 {
        case stdin = 0
        case stdout = 1
        case stderr = 2
        case resize = 4
        case closeStdin = 255
    }

    /// Connects to the monitor of the container whose state directory is `directory`. With
    /// `stdin` the session is the typing one: its end closes a `stdinOnce` container's stdin.
    static func connect(directory: String, stdin: Bool) throws -> ContainerAttachSession {
        // sun_path holds 108 bytes; the directory's descriptor makes any path short.
        let directoryFD = try sys("open", directory.quoted) { open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { closeFD(directoryFD) }
        let path = "/proc/self/fd/\(directoryFD)/attach"
        guard let address = UnixSocketAddress(path) else { throw NodeAPIError.badRequest("attach socket path too long: \(path)") }
        let fd = try sys("socket", "AF_UNIX SOCK_SEQPACKET") { Glibc.socket(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        let connected: SyscallResult<Int32>
        do {
            connected = try sys("connect", "\(directory)/attach", allowing: [ENOENT, ECONNREFUSED]) {
                address.withSockaddr { Glibc.connect(fd, $0, $1) }
            }
        } catch {
            closeFD(fd)
            throw error
        }
        guard connected.value != nil else {
            closeFD(fd)
            // No socket: the monitor has gone with its container (or predates attach support).
            throw NodeAPIError.badRequest("the container is not running, or was not started with stdin or tty")
        }
        let connection = Connection(fd: fd)
        let (stdout, stdoutSink) = AsyncStream.makeStream(of: [UInt8].self)
        let (stderr, stderrSink) = AsyncStream.makeStream(of: [UInt8].self)
        // Reads packets on a Dispatch thread until the monitor closes (the container exited)
        // or `terminate` shuts the socket down.
        let ended = Task {
            await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
                DispatchQueue.global().async {
                    let socket = connection.fd
                    var buffer = [UInt8](repeating: 0, count: Self.receiveBuffer)
                    while let count = try? sys(
                        "recv", "attach socket \(socket)", { buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) } }),
                        count > 0
                    {
                        switch Kind(rawValue: buffer[0]) {
                        case .stdout: stdoutSink.yield(Array(buffer[1..<count]))
                        case .stderr: stderrSink.yield(Array(buffer[1..<count]))
                        default: break
                        }
                    }
                    stdoutSink.finish()
                    stderrSink.finish()
                    continuation.resume(returning: 0)
                }
            }
        }
        let session = ContainerAttachSession(connection: connection, stdout: stdout, stderr: stderr, ended: ended)
        if stdin {
            do {
                try session.send(.stdin, [])
            } catch {
                _ = Glibc.shutdown(fd, Int32(SHUT_RDWR))  // ends the reader
                throw error
            }
        }
        return session
    }

    private init(connection: Connection, stdout: AsyncStream<[UInt8]>, stderr: AsyncStream<[UInt8]>, ended: Task<Int32, Never>) {
        self.connection = connection
        self.stdout = stdout
        self.stderr = stderr
        self.ended = ended
    }

    /// One packet; blocks while the monitor's queue for us is full (the container is not
    /// reading its stdin), so callers send from a blocking context.
    private func send(_ kind: Kind, _ payload: some Collection<UInt8>) throws {
        let packet = [kind.rawValue] + payload
        _ = try packet.withUnsafeBytes { bytes in
            try sys("send", "attach socket \(socket)") { Glibc.send(socket, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) }
        }
    }

    func writeStdin(_ bytes: [UInt8]) async throws {
        try await blocking {
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + Self.maximumInput)
                try self.send(.stdin, bytes[offset..<end])
                offset = end
            }
        }
    }

    func closeStdin() async {
        _ = try? await blocking { try self.send(.closeStdin, []) }
    }

    func resize(width: UInt16, height: UInt16) async {
        let payload = [UInt8(width & 0xff), UInt8(width >> 8), UInt8(height & 0xff), UInt8(height >> 8)]
        _ = try? await blocking { try self.send(.resize, payload) }
    }

    /// Returns once the container's output has ended (it exited); attach has no exit code of its own.
    func wait() async -> Int32 { await ended.value }

    /// The client went away: detach, leaving the container running (the monitor sees our end
    /// of input, which closes a `stdinOnce` container's stdin).
    func terminate() async {
        _ = Glibc.shutdown(socket, Int32(SHUT_RDWR))
    }
}
