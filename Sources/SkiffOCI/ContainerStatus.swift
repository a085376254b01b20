/// The lifecycle of a container as `state` reports it (OCI runtime spec "state").
public enum ContainerStatus: String, Codable, Sendable {
    case creating, created, running, paused, stopped
}

/// What `skiff-runc state` prints: runc's JSON shape.
public struct ContainerStateReport: Codable, Sendable {
    public var ociVersion: String
    public var id: String
    public var pid: Int32
    public var status: ContainerStatus
    public var bundle: String
    public var rootfs: String
    public var created: String
    public var owner: String
    public var annotations: [String: String]?

    public init(
        id: String, pid: Int32, status: ContainerStatus, bundle: String, rootfs: String, created: String,
        annotations: [String: String]?
    ) {
        self.ociVersion = RuntimeSpec.version
        self.id = id
        self.pid = pid
        self.status = status
        self.bundle = bundle
        self.rootfs = rootfs
        self.created = created
        self.owner = ""
        self.annotations = annotations
    }
}
