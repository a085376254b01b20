/// What a pod runs and how, with the API server's defaults applied when the JSON leaves a field
/// out: restartPolicy Always, terminationGracePeriodSeconds 30, dnsPolicy ClusterFirst.
public struct PodSpec: Sendable, Equatable, JSONDecodable {
    public let initContainers: [Container]
    public let containers: [Container]
    public let volumes: [Volume]
    public let restartPolicy: RestartPolicy
    public let terminationGracePeriodSeconds: Int64
    public let dnsPolicy: DNSPolicy
    public let dnsConfig: DNSConfig?
    public let hostAliases: [HostAlias]
    public let hostname: String?
    public let subdomain: String?
    public let hostNetwork: Bool
    public let nodeName: String?
    public let serviceAccountName: String?
    /// Names of `kubernetes.io/dockerconfigjson` Secrets in the pod's namespace whose
    /// credentials the agent offers registries when it pulls the pod's images.
    public let imagePullSecrets: [String]
    public let securityContext: PodSecurityContext

    static let empty = PodSpec()

    private init() {
        initContainers = []
        containers = []
        volumes = []
        restartPolicy = .always
        terminationGracePeriodSeconds = 30
        dnsPolicy = .clusterFirst
        dnsConfig = nil
        hostAliases = []
        hostname = nil
        subdomain = nil
        hostNetwork = false
        nodeName = nil
        serviceAccountName = nil
        imagePullSecrets = []
        securityContext = .empty
    }

    public init(json: JSONField) throws(JSONShapeError) {
        initContainers = try json.field("initContainers", default: [])
        containers = try json.field("containers", default: [])
        volumes = try json.field("volumes", default: [])
        restartPolicy = try json.choice("restartPolicy", default: .always)
        terminationGracePeriodSeconds = try json.field("terminationGracePeriodSeconds", default: 30)
        dnsPolicy = try json.choice("dnsPolicy", default: .clusterFirst)
        dnsConfig = try json.optional("dnsConfig")
        hostAliases = try json.field("hostAliases", default: [])
        hostname = try json.optional("hostname")
        subdomain = try json.optional("subdomain")
        hostNetwork = try json.field("hostNetwork", default: false)
        nodeName = try json.optional("nodeName")
        serviceAccountName = try json.optional("serviceAccountName")
        // LocalObjectReference entries; one without a name refers to nothing, as in Kubernetes.
        imagePullSecrets = try json.field("imagePullSecrets", default: [LocalObjectReference]()).compactMap(\.name)
        securityContext = try json.field("securityContext", default: .empty)
        // Containers are known by name (statuses, logs, exec): two with one name cannot both run.
        var names = Set<String>()
        for (field, list) in [("initContainers", initContainers), ("containers", containers)] {
            for (index, container) in list.enumerated() where !names.insert(container.name).inserted {
                throw JSONShapeError(
                    path: "\(json.path.isEmpty ? "" : json.path + ".")\(field)[\(index)].name", problem: "duplicate container name \"\(container.name)\"")
            }
        }
    }

    /// Init containers first, in the order they run, then the app containers.
    public var allContainers: [Container] { initContainers + containers }

    /// The init or app container with this name.
    public func container(named name: String) -> Container? {
        initContainers.first { $0.name == name } ?? containers.first { $0.name == name }
    }

    public func isInitContainer(_ name: String) -> Bool { initContainers.contains { $0.name == name } }

    /// When a container that ended is started again.
    public enum RestartPolicy: String, Sendable, Equatable {
        case always = "Always"
        case onFailure = "OnFailure"
        case never = "Never"

        /// Whether an app container that exited with `exitCode` runs again.
        public func restarts(exitCode: Int32) -> Bool {
            switch self {
            case .always: true
            case .onFailure: exitCode != 0
            case .never: false
            }
        }
    }

    /// How the pod's resolv.conf is made.
    public enum DNSPolicy: String, Sendable, Equatable {
        case clusterFirst = "ClusterFirst"
        case clusterFirstWithHostNet = "ClusterFirstWithHostNet"
        case `default` = "Default"
        case none = "None"
    }

    /// `spec.dnsConfig`: nameservers, search domains and resolver options added to the policy's.
    public struct DNSConfig: Sendable, Equatable, JSONDecodable {
        public let nameservers: [String]
        public let searches: [String]
        public let options: [Option]

        public init(json: JSONField) throws(JSONShapeError) {
            nameservers = try json.field("nameservers", default: [])
            searches = try json.field("searches", default: [])
            options = try json.field("options", default: [])
        }

        /// `ndots:2` has a value, `edns0` has none.
        public struct Option: Sendable, Equatable, JSONDecodable {
            public let name: String
            public let value: String?

            public init(json: JSONField) throws(JSONShapeError) {
                name = try json.required("name")
                value = try json.optional("value")
            }
        }
    }

    /// An /etc/hosts entry the pod asks for.
    public struct HostAlias: Sendable, Equatable, JSONDecodable {
        public let ip: String
        public let hostnames: [String]

        public init(json: JSONField) throws(JSONShapeError) {
            ip = try json.required("ip")
            hostnames = try json.field("hostnames", default: [])
        }
    }
}

extension PodSpec {
    /// `{"name": …}`, how a pod names an object in its own namespace.
    struct LocalObjectReference: Sendable, Equatable, JSONDecodable {
        let name: String?

        init(json: JSONField) throws(JSONShapeError) {
            name = try json.optional("name")
        }
    }
}
