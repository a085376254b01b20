import SkiffAPI

/// The RBAC objects, indexed for decisions: for every user and group, the rules its bindings
/// grant and where (one namespace, or the whole cluster). Built once per change of a Role,
/// ClusterRole or binding, then asked for every request without touching the store.
public struct RBACPolicy: Sendable {
    /// Rules granted by one binding: in `namespace` (a RoleBinding) or everywhere (nil: a
    /// ClusterRoleBinding).
    struct Grant: Sendable {
        let namespace: String?
        let rules: [PolicyRule]
    }

    private var byUser: [String: [Grant]] = [:]
    private var byGroup: [String: [Grant]] = [:]
    /// Each ClusterRole's rules, its aggregation applied.
    public let clusterRoleRules: [String: [PolicyRule]]

    public static let empty = RBACPolicy(roles: [], clusterRoles: [], roleBindings: [], clusterRoleBindings: [])

    public init(roles: [JSON], clusterRoles: [JSON], roleBindings: [JSON], clusterRoleBindings: [JSON]) {
        clusterRoleRules = Self.aggregated(clusterRoles)
        var roleRules: [String: [PolicyRule]] = [:]
        for role in roles {
            guard let namespace = role["metadata"]["namespace"].string, let name = role["metadata"]["name"].string else { continue }
            roleRules["\(namespace)/\(name)"] = Self.rules(of: role)
        }
        for binding in clusterRoleBindings where binding["roleRef"]["kind"].string == "ClusterRole" {
            guard let rules = binding["roleRef"]["name"].string.flatMap({ clusterRoleRules[$0] }) else { continue }
            add(Grant(namespace: nil, rules: rules), to: binding)
        }
        for binding in roleBindings {
            guard let namespace = binding["metadata"]["namespace"].string, let role = binding["roleRef"]["name"].string else { continue }
            let rules: [PolicyRule]? =
                switch binding["roleRef"]["kind"].string {
                case "ClusterRole": clusterRoleRules[role]
                case "Role": roleRules["\(namespace)/\(role)"]
                default: nil
                }
            guard let rules else { continue }
            add(Grant(namespace: namespace, rules: rules), to: binding)
        }
    }

    /// Whether a binding of the user or one of its groups allows the request.
    public func allows(_ attributes: AuthorizationAttributes) -> Bool {
        let namespace: String? =
            switch attributes.target {
            case .resource(_, _, _, let namespace, _): namespace
            case .path: nil
            }
        return grants(for: attributes.user).contains { grant in
            (grant.namespace == nil || grant.namespace == namespace) && grant.rules.contains { $0.allows(attributes) }
        }
    }

    /// Every rule that applies to `user` in `namespace` (cluster-wide ones included), as
    /// SelfSubjectRulesReview lists them.
    public func rules(for user: UserInfo, namespace: String) -> [PolicyRule] {
        var rules: [PolicyRule] = []
        for grant in grants(for: user) where grant.namespace == nil || grant.namespace == namespace {
            for rule in grant.rules where !rules.contains(rule) { rules.append(rule) }
        }
        return rules
    }

    func grants(for user: UserInfo) -> [Grant] {
        (byUser[user.name] ?? []) + user.groups.flatMap { byGroup[$0] ?? [] }
    }

    private mutating func add(_ grant: Grant, to binding: JSON) {
        for subject in binding["subjects"].array ?? [] {
            guard let name = subject["name"].string else { continue }
            switch subject["kind"].string {
            case "User": byUser[name, default: []].append(grant)
            case "Group": byGroup[name, default: []].append(grant)
            case "ServiceAccount":
                let namespace = subject["namespace"].string ?? binding["metadata"]["namespace"].string ?? ""
                byUser["system:serviceaccount:\(namespace):\(name)", default: []].append(grant)
            default: continue
            }
        }
    }

    static func rules(of role: JSON) -> [PolicyRule] {
        (role["rules"].array ?? []).map(PolicyRule.init(json:))
    }

    /// Each ClusterRole's own rules plus, with an aggregationRule, those of every ClusterRole
    /// whose labels one of its selectors matches, themselves aggregated (so `admin` gets `edit`'s
    /// rules, which has `view`'s), as Kubernetes' aggregation controller makes them.
    static func aggregated(_ clusterRoles: [JSON]) -> [String: [PolicyRule]] {
        var byName: [String: JSON] = [:]
        for role in clusterRoles { if let name = role["metadata"]["name"].string { byName[name] = role } }
        var resolved: [String: [PolicyRule]] = [:]
        func resolve(_ name: String, visiting: Set<String>) -> [PolicyRule] {
            if let done = resolved[name] { return done }
            guard let role = byName[name] else { return [] }
            var rules = rules(of: role)
            if let selectors = role["aggregationRule"]["clusterRoleSelectors"].array {
                let parsed = selectors.compactMap { try? LabelSelector(object: $0) }
                for (other, candidate) in byName.sorted(by: { $0.key < $1.key }) where other != name && !visiting.contains(other) {
                    let labels = candidate["metadata"]["labels"].stringMap
                    guard parsed.contains(where: { $0.matches(labels) }) else { continue }
                    for rule in resolve(other, visiting: visiting.union([name])) where !rules.contains(rule) { rules.append(rule) }
                }
            }
            if visiting.isEmpty { resolved[name] = rules }
            return rules
        }
        for name in byName.keys { resolved[name] = resolve(name, visiting: []) }
        return resolved
    }
}
