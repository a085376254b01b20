/// What a probe or a postStart/preStop hook runs: a command in the container, an HTTP GET, a
/// TCP connection, a gRPC health check, or a pause.
public enum LifecycleHandler: Sendable, Equatable, JSONDecodable {
    case exec(command: [String])
    case httpGet(HTTPGetAction)
    case tcpSocket(host: String?, port: PortReference)
    case grpc(port: Int32, service: String?)
    case sleep(seconds: Int64)

    public init(json: JSONField) throws(JSONShapeError) {
        guard let handler = try Self.decodeIfPresent(json) else {
            throw json.error("needs one of exec, httpGet, tcpSocket, grpc or sleep")
        }
        self = handler
    }

    /// The handler in an object that may hold other fields (a probe's thresholds), or nil.
    static func decodeIfPresent(_ json: JSONField) throws(JSONShapeError) -> LifecycleHandler? {
        if let exec = try json.optional("exec", as: ExecAction.self) { return .exec(command: exec.command) }
        if let get = try json.optional("httpGet", as: HTTPGetAction.self) { return .httpGet(get) }
        if let socket = try json.optional("tcpSocket", as: TCPSocketAction.self) { return .tcpSocket(host: socket.host, port: socket.port) }
        if let grpc = try json.optional("grpc", as: GRPCAction.self) { return .grpc(port: grpc.port, service: grpc.service) }
        if let sleep = try json.optional("sleep", as: SleepAction.self) { return .sleep(seconds: sleep.seconds) }
        return nil
    }

    /// An HTTP GET with Kubernetes' defaults: scheme HTTP, path "/", the pod's IP as host.
    public struct HTTPGetAction: Sendable, Equatable, JSONDecodable {
        public let path: String
        public let port: PortReference
        public let host: String?
        public let scheme: Scheme
        public let httpHeaders: [Header]

        public init(json: JSONField) throws(JSONShapeError) {
            let path = try json.field("path", default: "")
            self.path = path.isEmpty ? "/" : path
            port = try json.required("port")
            host = try json.optional("host")
            scheme = try json.choice("scheme", default: .http)
            httpHeaders = try json.field("httpHeaders", default: [])
        }

        public enum Scheme: String, Sendable, Equatable {
            case http = "HTTP"
            case https = "HTTPS"
        }

        public struct Header: Sendable, Equatable, JSONDecodable {
            public let name: String
            public let value: String

            public init(json: JSONField) throws(JSONShapeError) {
                name = try json.required("name")
                value = try json.field("value", default: "")
            }
        }
    }

    /// A port by number, or by the name of one of the container's ports.
    public enum PortReference: Sendable, Equatable, JSONDecodable {
        case number(Int)
        case name(String)

        public init(json: JSONField) throws(JSONShapeError) {
            switch json.value {
            case .string(let text): self = Int(text).map(PortReference.number) ?? .name(text)
            default: self = .number(try json.integer(Int.self, name: "a port number or name"))
            }
        }

        public static var jsonTypeName: String { "a port number or name" }

        /// The port number, looking a name up in `container`'s ports; nil when it is no valid port.
        public func resolve(in container: Container) -> UInt16? {
            switch self {
            case .number(let number): return number > 0 && number < 65536 ? UInt16(number) : nil
            case .name(let name):
                guard let port = container.ports.first(where: { $0.name == name }) else { return nil }
                return UInt16(exactly: port.containerPort)
            }
        }
    }

    struct ExecAction: JSONDecodable {
        let command: [String]
        init(json: JSONField) throws(JSONShapeError) { command = try json.field("command", default: []) }
    }

    struct TCPSocketAction: JSONDecodable {
        let host: String?
        let port: PortReference
        init(json: JSONField) throws(JSONShapeError) {
            host = try json.optional("host")
            port = try json.required("port")
        }
    }

    struct GRPCAction: JSONDecodable {
        let port: Int32
        let service: String?
        init(json: JSONField) throws(JSONShapeError) {
            port = try json.required("port")
            service = try json.optional("service")
        }
    }

    struct SleepAction: JSONDecodable {
        let seconds: Int64
        init(json: JSONField) throws(JSONShapeError) { seconds = try json.required("seconds") }
    }
}
