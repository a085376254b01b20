import SkiffAPI

/// Authorization of users (neither `system:masters` nor a node) by RBAC, and impersonation.
/// The chain is Kubernetes': the privileged group is allowed everything, nodes are decided by
/// the node authorizer (`KubeAPI.authorize(node:…)`), everyone else by RBAC.
extension KubeAPI {
    /// Throws Kubernetes' 403 unless RBAC allows it.
    func authorize(_ attributes: AuthorizationAttributes) async throws {
        guard try await rbac.current(self).allows(attributes) else { throw APIError.forbidden(attributes.forbiddenMessage) }
    }

    /// What a request on a resource asks, for RBAC. A Namespace's own requests are in it, so a
    /// RoleBinding in a namespace can grant reading that namespace.
    static func attributes(user: UserInfo, verb: String, target: Target) -> AuthorizationAttributes {
        let group = target.definition.naming.group
        let namespace = group.isEmpty && target.definition.plural == "namespaces" ? target.name : target.namespace
        return AuthorizationAttributes(
            user: user, verb: verb,
            target: .resource(group: group, resource: target.definition.plural, subresource: target.subresource, namespace: namespace, name: target.name))
    }

    /// Whether `identity` may do it, without throwing: for access reviews and impersonation.
    func isAllowed(_ identity: Identity, _ attributes: AuthorizationAttributes) async throws -> Bool {
        switch identity {
        case .admin: return true
        case .user(let user):
            if user.isPrivileged { return true }
            return try await rbac.current(self).allows(attributes)
        case .node(let node):
            guard case .resource(let group, let resource, let subresource, let namespace, let name) = attributes.target else { return true }
            guard let definition = registry.definitions.first(where: { $0.naming.group == group && $0.plural == resource }) else { return false }
            return NodeAuthorizer.decide(
                node: node, verb: attributes.verb, resource: definition, namespace: namespace, name: name, subresource: subresource) == .allow
        }
    }

    /// The identity the request acts as: with `Impersonate-User` (and `Impersonate-Group`s), that
    /// user, if the requester may `impersonate` the user and each group (admins may).
    func impersonated(_ identity: Identity, _ request: APIRequest) async throws -> Identity {
        let user = request.headers["impersonate-user"]
        let groups = (request.headers["impersonate-group"] ?? "").split(separator: ",").map { String($0).trimmingSpaces }.filter { !$0.isEmpty }
        guard user != nil || !groups.isEmpty else { return identity }
        guard let user, !user.isEmpty else {
            throw APIError.badRequest("requested \(groups.map { "Group \"\($0)\"" }.joined(separator: ", ")) without impersonating a user")
        }
        for (resource, name) in [("users", user)] + groups.map({ ("groups", $0) }) {
            let attributes = AuthorizationAttributes(
                user: identity.user, verb: "impersonate",
                target: .resource(group: "", resource: resource, subresource: nil, namespace: nil, name: name))
            guard try await isAllowed(identity, attributes) else { throw APIError.forbidden(attributes.forbiddenMessage) }
        }
        return .user(UserInfo(name: user, groups: groups))
    }
}

extension String {
    /// Without leading and trailing spaces.
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
