/// One container of a pod, with the API server's defaults applied when the JSON leaves a field
/// out: terminationMessagePath /dev/termination-log, terminationMessagePolicy File, port
/// protocol TCP, imagePullPolicy from the image's tag.
public struct Container: Sendable, Equatable, JSONDecodable {
    public let name: String
    public let image: String
    public let imagePullPolicy: PullPolicy
    /// Replaces the image's ENTRYPOINT when not empty.
    public let command: [String]
    /// Replaces the image's CMD when not empty.
    public let args: [String]
    public let workingDir: String?
    public let env: [EnvVar]
    public let envFrom: [EnvFromSource]
    public let ports: [Port]
    public let resources: ResourceRequirements
    public let volumeMounts: [VolumeMount]
    public let startupProbe: Probe?
    public let livenessProbe: Probe?
    public let readinessProbe: Probe?
    public let lifecycle: Lifecycle
    public let securityContext: SecurityContext
    public let terminationMessagePath: String
    public let terminationMessagePolicy: TerminationMessagePolicy
    /// Keep the container's stdin open for `kubectl attach -i`.
    public let stdin: Bool
    /// Close that stdin once the first attach session's input ends.
    public let stdinOnce: Bool
    /// Give the container a terminal.
    public let tty: Bool

    public init(json: JSONField) throws(JSONShapeError) {
        name = try json.required("name")
        guard !name.isEmpty else { throw JSONShapeError(path: json.path + ".name", problem: "must not be empty") }
        image = try json.field("image", default: "")
        imagePullPolicy = try json.optionalChoice("imagePullPolicy", as: PullPolicy.self) ?? PullPolicy.defaultPolicy(image: image)
        command = try json.field("command", default: [])
        args = try json.field("args", default: [])
        workingDir = try json.optional("workingDir")
        env = try json.field("env", default: [])
        envFrom = try json.field("envFrom", default: [])
        ports = try json.field("ports", default: [])
        resources = try json.field("resources", default: .empty)
        volumeMounts = try json.field("volumeMounts", default: [])
        startupProbe = try json.optional("startupProbe")
        livenessProbe = try json.optional("livenessProbe")
        readinessProbe = try json.optional("readinessProbe")
        lifecycle = try json.field("lifecycle", default: Lifecycle(postStart: nil, preStop: nil))
        securityContext = try json.field("securityContext", default: .empty)
        terminationMessagePath = try json.field("terminationMessagePath", default: "/dev/termination-log")
        terminationMessagePolicy = try json.choice("terminationMessagePolicy", default: .file)
        stdin = try json.field("stdin", default: false)
        stdinOnce = try json.field("stdinOnce", default: false)
        tty = try json.field("tty", default: false)
    }

    /// Whether any probe watches the container; without one it is started and ready once running.
    public var hasProbes: Bool { startupProbe != nil || livenessProbe != nil || readinessProbe != nil }

    /// When the image is pulled.
    public enum PullPolicy: String, Sendable, Equatable {
        case always = "Always"
        case ifNotPresent = "IfNotPresent"
        case never = "Never"

        /// Kubernetes' default: Always for `:latest` or an untagged image, else IfNotPresent.
        static func defaultPolicy(image: String) -> PullPolicy {
            let tagged = image.split(separator: "/").last?.contains(":") ?? false
            return image.hasSuffix(":latest") || !tagged ? .always : .ifNotPresent
        }
    }

    /// Where the message a container leaves on exit comes from.
    public enum TerminationMessagePolicy: String, Sendable, Equatable {
        /// Only the file at `terminationMessagePath`.
        case file = "File"
        /// The file, or the end of the log when the file is empty and the container failed.
        case fallbackToLogsOnError = "FallbackToLogsOnError"
    }

    /// A port the container listens on; `hostPort` also publishes it on the node.
    public struct Port: Sendable, Equatable, JSONDecodable {
        public let name: String?
        public let containerPort: Int32
        public let hostPort: Int32?
        public let hostIP: String?
        public let `protocol`: PortProtocol

        public init(json: JSONField) throws(JSONShapeError) {
            name = try json.optional("name")
            containerPort = try json.required("containerPort")
            hostPort = try json.optional("hostPort")
            hostIP = try json.optional("hostIP")
            `protocol` = try json.choice("protocol", default: .tcp)
        }
    }

    public enum PortProtocol: String, Sendable, Equatable {
        case tcp = "TCP"
        case udp = "UDP"
        case sctp = "SCTP"
    }

    /// A volume of the pod mounted into the container.
    public struct VolumeMount: Sendable, Equatable, JSONDecodable {
        public let name: String
        public let mountPath: String
        /// A path inside the volume to mount instead of its root; empty for the root.
        public let subPath: String
        public let readOnly: Bool

        public init(json: JSONField) throws(JSONShapeError) {
            name = try json.required("name")
            mountPath = try json.required("mountPath")
            subPath = try json.field("subPath", default: "")
            readOnly = try json.field("readOnly", default: false)
        }
    }

    /// Hooks run right after the container starts and before it is stopped.
    public struct Lifecycle: Sendable, Equatable, JSONDecodable {
        public let postStart: LifecycleHandler?
        public let preStop: LifecycleHandler?

        public init(postStart: LifecycleHandler?, preStop: LifecycleHandler?) {
            self.postStart = postStart
            self.preStop = preStop
        }

        public init(json: JSONField) throws(JSONShapeError) {
            postStart = try json.optional("postStart")
            preStop = try json.optional("preStop")
        }
    }
}
