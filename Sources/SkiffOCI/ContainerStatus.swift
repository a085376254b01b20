import SkiffJSON

/// The lifecycle of a container as `state` reports it (OCI runtime spec "state").
public enum ContainerStatus: String, Sendable {
    case creating, created, running, paused, stopped
}

/// What `skiff-runc state` prints: runc's JSON shape.
public struct ContainerStateReport: Sendable {
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

extension ContainerStateReport: JSONEncodable {
    public var json: JSON {
        var fields: [String: JSON] = [
            "ociVersion": .string(ociVersion), "id": .string(id), "pid": pid.json, "status": .string(status.rawValue),
            "bundle": .string(bundle), "rootfs": .string(rootfs), "created": .string(created), "owner": .string(owner),
        ]
        fields["annotations"] = annotations?.json
        return .object(fields)
    }
}
