/// The names a resource type goes by: enough to address it in URLs, errors and discovery.
public struct ResourceNaming: Sendable, Hashable {
    public let group: String
    public let version: String
    public let kind: String
    public let plural: String

    public init(group: String, version: String, kind: String, plural: String) {
        self.group = group
        self.version = version
        self.kind = kind
        self.plural = plural
    }

    /// `pods`, or `deployments.apps` for named groups, as in Kubernetes error messages.
    public var qualifiedPlural: String { group.isEmpty ? plural : "\(plural).\(group)" }

    /// `v1` or `apps/v1`.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
}
