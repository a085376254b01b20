/// A pod's or container's `seccompProfile`.
public struct SeccompProfile: Sendable, Equatable, JSONDecodable {
    public let type: Kind
    /// The profile file for `Localhost`, relative to the kubelet's seccomp directory.
    public let localhostProfile: String?

    public init(type: Kind, localhostProfile: String? = nil) {
        self.type = type
        self.localhostProfile = localhostProfile
    }

    public init(json: JSONField) throws(JSONShapeError) {
        type = try json.choice("type", default: .runtimeDefault)
        localhostProfile = try json.optional("localhostProfile")
    }

    public enum Kind: String, Sendable, Equatable {
        case runtimeDefault = "RuntimeDefault"
        case unconfined = "Unconfined"
        case localhost = "Localhost"
    }
}
