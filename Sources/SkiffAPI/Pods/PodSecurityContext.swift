/// `spec.securityContext`: the user, groups and seccomp profile every container starts from.
public struct PodSecurityContext: Sendable, Equatable, JSONDecodable {
    public let runAsUser: Int64?
    public let runAsGroup: Int64?
    public let runAsNonRoot: Bool?
    public let supplementalGroups: [Int64]
    public let fsGroup: Int64?
    public let seccompProfile: SeccompProfile?

    static let empty = PodSecurityContext()

    private init() {
        runAsUser = nil
        runAsGroup = nil
        runAsNonRoot = nil
        supplementalGroups = []
        fsGroup = nil
        seccompProfile = nil
    }

    public init(json: JSONField) throws(JSONShapeError) {
        runAsUser = try json.optional("runAsUser")
        runAsGroup = try json.optional("runAsGroup")
        runAsNonRoot = try json.optional("runAsNonRoot")
        supplementalGroups = try json.field("supplementalGroups", default: [])
        fsGroup = try json.optional("fsGroup")
        seccompProfile = try json.optional("seccompProfile")
    }
}
