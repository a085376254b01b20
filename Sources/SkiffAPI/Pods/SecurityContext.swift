/// A container's `securityContext`. Fields left out fall back to the pod's `PodSecurityContext`
/// where Kubernetes says so (user, group, runAsNonRoot, seccomp), so those stay optional here.
public struct SecurityContext: Sendable, Equatable, JSONDecodable {
    public let privileged: Bool
    public let capabilities: Capabilities
    /// Kubernetes' default is true: a process may gain privileges (setuid binaries) unless told not to.
    public let allowPrivilegeEscalation: Bool
    public let readOnlyRootFilesystem: Bool
    public let runAsUser: Int64?
    public let runAsGroup: Int64?
    public let runAsNonRoot: Bool?
    public let seccompProfile: SeccompProfile?

    static let empty = SecurityContext()

    private init() {
        privileged = false
        capabilities = Capabilities(add: [], drop: [])
        allowPrivilegeEscalation = true
        readOnlyRootFilesystem = false
        runAsUser = nil
        runAsGroup = nil
        runAsNonRoot = nil
        seccompProfile = nil
    }

    public init(json: JSONField) throws(JSONShapeError) {
        privileged = try json.field("privileged", default: false)
        capabilities = try json.field("capabilities", default: Capabilities(add: [], drop: []))
        allowPrivilegeEscalation = try json.field("allowPrivilegeEscalation", default: true)
        readOnlyRootFilesystem = try json.field("readOnlyRootFilesystem", default: false)
        runAsUser = try json.optional("runAsUser")
        runAsGroup = try json.optional("runAsGroup")
        runAsNonRoot = try json.optional("runAsNonRoot")
        seccompProfile = try json.optional("seccompProfile")
    }

    /// Capability names as the manifest writes them (`NET_ADMIN`, `ALL`).
    public struct Capabilities: Sendable, Equatable, JSONDecodable {
        public let add: [String]
        public let drop: [String]

        public init(add: [String], drop: [String]) {
            self.add = add
            self.drop = drop
        }

        public init(json: JSONField) throws(JSONShapeError) {
            add = try json.field("add", default: [])
            drop = try json.field("drop", default: [])
        }
    }
}
