import Glibc
import SkiffJSON
import SkiffOCI
import SkiffSystem

/// What the runtime asks of its init process, sent as one JSON line over the sync socket.
struct InitRequest {
    enum Mode: String { case create, exec }

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

    struct NamespacePlan {
        var type: String
        var path: String?
    }
}

/// One message on the sync socket between the runtime (parent) and its init (child).
struct InitMessage {
    enum Kind: String {
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

// The sync messages as JSON, by hand (no Codable in the runtime: see SkiffOCI/RuntimeSpec+JSON.swift).
extension InitRequest: JSONDecodable, JSONEncodable {
    init(json: JSONField) throws(JSONShapeError) {
        let modeName: String = try json.required("mode")
        guard let mode = Mode(rawValue: modeName) else { throw json.error("unknown mode \(modeName.quoted)") }
        self.mode = mode
        id = try json.required("id")
        bundle = try json.required("bundle")
        rootfs = try json.required("rootfs")
        spec = try json.required("spec")
        namespaces = try json.required("namespaces")
        execFifoFD = try json.optional("execFifoFD")
        consoleSocketFD = try json.optional("consoleSocketFD")
        preserveFDs = try json.required("preserveFDs")
        noPivot = try json.required("noPivot")
        cgroupPath = try json.required("cgroupPath")
        hierarchy = try json.required("hierarchy")
    }

    var json: JSON {
        var fields: [String: JSON] = [
            "mode": .string(mode.rawValue), "id": .string(id), "bundle": .string(bundle), "rootfs": .string(rootfs),
            "spec": spec.json, "namespaces": namespaces.json, "preserveFDs": preserveFDs.json, "noPivot": .bool(noPivot),
            "cgroupPath": .string(cgroupPath), "hierarchy": hierarchy.json,
        ]
        fields["execFifoFD"] = execFifoFD?.json
        fields["consoleSocketFD"] = consoleSocketFD?.json
        return .object(fields)
    }
}

extension InitRequest.NamespacePlan: JSONDecodable, JSONEncodable {
    init(json: JSONField) throws(JSONShapeError) {
        type = try json.required("type")
        path = try json.optional("path")
    }

    var json: JSON {
        var fields: [String: JSON] = ["type": .string(type)]
        fields["path"] = path?.json
        return .object(fields)
    }
}

extension InitMessage: JSONDecodable, JSONEncodable {
    init(json: JSONField) throws(JSONShapeError) {
        let kindName: String = try json.required("kind")
        guard let kind = Kind(rawValue: kindName) else { throw json.error("unknown message kind \(kindName.quoted)") }
        self.init(kind, pid: try json.optional("pid"), message: try json.optional("message"))
    }

    var json: JSON {
        var fields: [String: JSON] = ["kind": .string(kind.rawValue)]
        fields["pid"] = pid?.json
        fields["message"] = message?.json
        return .object(fields)
    }
}

/// Length-prefixed JSON over a socket: a 4-byte little-endian length, then the message. Reads
/// take exactly one message, so nothing meant for a later reader (the socket changes hands
/// across the init's fork) is consumed early, without reading a byte at a time.
struct SyncChannel {
    let fd: Int32

    func send<T: JSONEncodable>(_ value: T) throws {
        let body = value.json.bytes
        let length = UInt32(body.count)
        let header = (0..<4).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) }
        try FileSystem.writeAll(fd: fd, header + body, name: "sync socket")
    }

    /// The next message, or nil at end of stream (the other side exited).
    func receive<T: JSONDecodable>(_ type: T.Type = InitMessage.self) throws -> T? {
        guard let header = try readExactly(4) else { return nil }
        let length = header.enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        guard length <= 64 << 20, let body = try readExactly(length) else {
            throw RuntimeError("sync socket: truncated message")
        }
        return try RuntimeSpec.decode(body, as: T.self, what: "sync message")
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
