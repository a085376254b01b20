import FoundationEssentials
import Glibc
import SkiffOCI
import SkiffSystem

/// What the runtime asks of its init process, sent as one JSON line over the sync socket.
struct InitRequest: Codable {
    enum Mode: String, Codable { case create, exec }

    var mode: Mode
    var id: String
    var bundle: String
    var rootfs: String
    var spec: RuntimeSpec
    /// Namespaces in join order: a path joins an existing one, nil creates a new one.
    var namespaces: [NamespacePlan]
    var execFifoFD: Int32?
    var consoleSocketFD: Int32?
    var preserveFDs: Int32
    var noPivot: Bool
    var cgroupPath: String
    var hierarchy: ContainerRecord.Hierarchy

    struct NamespacePlan: Codable {
        var type: String
        var path: String?
    }
}

/// One message on the sync socket between the runtime (parent) and its init (child).
struct InitMessage: Codable {
    enum Kind: String, Codable {
        /// child → parent: the container process's host pid.
        case pid
        /// child → parent: a new user namespace exists; write its id maps.
        case userNamespace
        /// child → parent: mounts are ready; run prestart and createRuntime hooks.
        case runHooks
        /// child → parent: about to block on the exec fifo (create) or exec (exec).
        case ready
        /// child → parent: setup failed; `message` says why.
        case error
        /// parent → child: go on.
        case proceed
    }

    var kind: Kind
    var pid: Int32?
    var message: String?

    init(_ kind: Kind, pid: Int32? = nil, message: String? = nil) {
        self.kind = kind
        self.pid = pid
        self.message = message
    }
}

/// Length-prefixed JSON over a socket: a 4-byte little-endian length, then the message. Reads
/// take exactly one message, so nothing meant for a later reader (the socket changes hands
/// across the init's fork) is consumed early, without reading a byte at a time.
struct SyncChannel {
    let fd: Int32

    func send<T: Encodable>(_ value: T) throws {
        let body = Array(try JSONEncoder().encode(value))
        let length = UInt32(body.count)
        let header = (0..<4).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) }
        try FileSystem.writeAll(fd: fd, header + body, name: "sync socket")
    }

    /// The next message, or nil at end of stream (the other side exited).
    func receive<T: Decodable>(_ type: T.Type = InitMessage.self) throws -> T? {
        guard let header = try readExactly(4) else { return nil }
        let length = header.enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        guard length <= 64 << 20, let body = try readExactly(length) else {
            throw RuntimeError("sync socket: truncated message")
        }
        return try JSONDecoder().decode(T.self, from: Data(body))
    }

    /// nil if the stream ends before the first byte.
    private func readExactly(_ count: Int) throws -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = try sys("read", "sync socket") {
                buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, count - filled) }
            }
            if n == 0 {
                if filled == 0 { return nil }
                throw RuntimeError("sync socket: truncated message")
            }
            filled += n
        }
        return buffer
    }
}
