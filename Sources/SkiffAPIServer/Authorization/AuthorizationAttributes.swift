/// What a request asks to do, as the authorizers see it (Kubernetes' `authorizer.Attributes`):
/// a verb on a resource (with its API group, subresource, namespace and name), or a verb on a
/// path outside the resource API (`/healthz`, `/apis`).
public struct AuthorizationAttributes: Sendable, Equatable {
    public enum Target: Sendable, Equatable {
        case resource(group: String, resource: String, subresource: String?, namespace: String?, name: String?)
        case path(String)
    }

    public let user: UserInfo
    public let verb: String
    public let target: Target

    public init(user: UserInfo, verb: String, target: Target) {
        self.user = user
        self.verb = verb
        self.target = target
    }

    /// Kubernetes' reason for a denial, the part of the 403 message after "forbidden: ".
    public var denialReason: String {
        switch target {
        case .resource(let group, let resource, let subresource, let namespace, _):
            let scope = namespace.map { " in the namespace \"\($0)\"" } ?? " at the cluster scope"
            let full = subresource.map { "\(resource)/\($0)" } ?? resource
            return "User \"\(user.name)\" cannot \(verb) resource \"\(full)\" in API group \"\(group)\"\(scope)"
        case .path(let path):
            return "User \"\(user.name)\" cannot \(verb) path \"\(path)\""
        }
    }

    /// The whole 403 message: `pods "web" is forbidden: User …`, `deployments.apps is forbidden: …`.
    public var forbiddenMessage: String {
        switch target {
        case .resource(let group, let resource, _, _, let name):
            let qualified = group.isEmpty ? resource : "\(resource).\(group)"
            return "\(qualified)\(name.map { " \"\($0)\"" } ?? "") is forbidden: \(denialReason)"
        case .path:
            return "forbidden: \(denialReason)"
        }
    }
}
