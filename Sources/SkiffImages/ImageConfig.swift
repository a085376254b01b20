/// What an image says about how to run it (the `config` object of the image config blob), using
/// the spec's field names so it round-trips through JSON unchanged.
public struct ImageConfig: Codable, Equatable, Sendable {
    public var env: [String]
    public var entrypoint: [String]?
    public var cmd: [String]?
    public var workingDir: String?
    public var user: String?
    /// "80/tcp", "53/udp", sorted.
    public var exposedPorts: [String]
    public var labels: [String: String]
    public var stopSignal: String?

    public init(
        env: [String] = [], entrypoint: [String]? = nil, cmd: [String]? = nil, workingDir: String? = nil,
        user: String? = nil, exposedPorts: [String] = [], labels: [String: String] = [:], stopSignal: String? = nil
    ) {
        self.env = env
        self.entrypoint = entrypoint
        self.cmd = cmd
        self.workingDir = workingDir
        self.user = user
        self.exposedPorts = exposedPorts
        self.labels = labels
        self.stopSignal = stopSignal
    }

    enum CodingKeys: String, CodingKey {
        case env = "Env"
        case entrypoint = "Entrypoint"
        case cmd = "Cmd"
        case workingDir = "WorkingDir"
        case user = "User"
        case exposedPorts = "ExposedPorts"
        case labels = "Labels"
        case stopSignal = "StopSignal"
    }

    /// The spec's `ExposedPorts` is a map to empty objects.
    private struct Empty: Codable {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        env = try c.decodeIfPresent([String].self, forKey: .env) ?? []
        entrypoint = try c.decodeIfPresent([String].self, forKey: .entrypoint)
        cmd = try c.decodeIfPresent([String].self, forKey: .cmd)
        workingDir = try c.decodeIfPresent(String.self, forKey: .workingDir).flatMap { $0.isEmpty ? nil : $0 }
        user = try c.decodeIfPresent(String.self, forKey: .user).flatMap { $0.isEmpty ? nil : $0 }
        exposedPorts = (try c.decodeIfPresent([String: Empty].self, forKey: .exposedPorts) ?? [:]).keys.sorted()
        labels = try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
        stopSignal = try c.decodeIfPresent(String.self, forKey: .stopSignal)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(env, forKey: .env)
        try c.encodeIfPresent(entrypoint, forKey: .entrypoint)
        try c.encodeIfPresent(cmd, forKey: .cmd)
        try c.encodeIfPresent(workingDir, forKey: .workingDir)
        try c.encodeIfPresent(user, forKey: .user)
        if !exposedPorts.isEmpty {
            try c.encode(Dictionary(uniqueKeysWithValues: exposedPorts.map { ($0, Empty()) }), forKey: .exposedPorts)
        }
        if !labels.isEmpty { try c.encode(labels, forKey: .labels) }
        try c.encodeIfPresent(stopSignal, forKey: .stopSignal)
    }
}
