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

/// Newline-delimited JSON over a socket, read a byte at a time so nothing meant for a later
/// reader (the other end may change hands across fork) is consumed early.
struct SyncChannel {
    let fd: Int32

    func send<T: Encodable>(_ value: T) throws {
        var bytes = Array(try JSONEncoder().encode(value))
        bytes.append(UInt8(ascii: "\n"))
        try FileSystem.writeAll(fd: fd, bytes, name: "sync socket")
    }

    /// The next message, or nil at end of stream (the other side exited).
    func receive<T: Decodable>(_ type: T.Type = InitMessage.self) throws -> T? {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let n = try sys("read", "sync socket") { read(fd, &byte, 1) }
            if n == 0 { return line.isEmpty ? nil : try decode(line) }
            if byte == UInt8(ascii: "\n") { return try decode(line) }
            line.append(byte)
        }
    }

    private func decode<T: Decodable>(_ line: [UInt8]) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(line))
    }
}
