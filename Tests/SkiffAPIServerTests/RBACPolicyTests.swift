import SkiffAPI
import Testing

@testable import SkiffAPIServer

/// RBAC's rule matching and the policy index, on objects built in memory.
@Suite struct RBACPolicyTests {
    static let jane = UserInfo(name: "jane", groups: ["devs"])

    static func resource(
        _ verb: String, _ resource: String, group: String = "", subresource: String? = nil, namespace: String? = "team", name: String? = nil,
        user: UserInfo = jane
    ) -> AuthorizationAttributes {
        AuthorizationAttributes(
            user: user, verb: verb, target: .resource(group: group, resource: resource, subresource: subresource, namespace: namespace, name: name))
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let rule: PolicyRule
        let attributes: AuthorizationAttributes
        let allowed: Bool
        let testDescription: String
    }

    static let cases: [Case] = [
        Case(
            rule: PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["pods"]), attributes: resource("get", "pods"), allowed: true, testDescription: "exact"
        ),
        Case(
            rule: PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["pods"]), attributes: resource("list", "pods"), allowed: false,
            testDescription: "other verb"),
        Case(
            rule: PolicyRule(verbs: ["*"], apiGroups: [""], resources: ["pods"]), attributes: resource("delete", "pods"), allowed: true,
            testDescription: "any verb"),
        Case(
            rule: PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["pods"]), attributes: resource("get", "deployments", group: "apps"), allowed: false,
            testDescription: "other group"),
        Case(
            rule: PolicyRule(verbs: ["get"], apiGroups: ["*"], resources: ["deployments"]), attributes: resource("get", "deployments", group: "apps"),
            allowed: true, testDescription: "any group"),
        Case(
            rule: PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["pods"]), attributes: resource("get", "pods", subresource: "log"), allowed: false,
            testDescription: "a resource is not its subresources"),
        Case(
            rule: PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["pods/log"]), attributes: resource("get", "pods", subresource: "log"), allowed: true,
            testDescription: "subresource"),
        Case(
            rule: PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["pods/log"]), attributes: resource("get", "pods"), allowed: false,
            testDescription: "a subresource is not its resource"),
        Case(
            rule: PolicyRule(verbs: ["update"], apiGroups: ["*"], resources: ["*/scale"]),
            attributes: resource("update", "deployments", group: "apps", subresource: "scale"), allowed: true, testDescription: "any resource's subresource"),
        Case(
            rule: PolicyRule(verbs: ["update"], apiGroups: ["*"], resources: ["*/scale"]), attributes: resource("update", "deployments", group: "apps"),
            allowed: false, testDescription: "*/scale is not the resource"),
        Case(
            rule: PolicyRule(verbs: ["get"], apiGroups: ["*"], resources: ["*"]), attributes: resource("get", "pods", subresource: "status"), allowed: true,
            testDescription: "* is every resource and subresource"),
        Case(
            rule: PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["configmaps"], resourceNames: ["app"]),
            attributes: resource("get", "configmaps", name: "app"), allowed: true, testDescription: "named"),
        Case(
            rule: PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["configmaps"], resourceNames: ["app"]),
            attributes: resource("get", "configmaps", name: "other"), allowed: false, testDescription: "another name"),
        Case(
            rule: PolicyRule(verbs: ["list"], apiGroups: [""], resources: ["configmaps"], resourceNames: ["app"]), attributes: resource("list", "configmaps"),
            allowed: false, testDescription: "names never allow a list"),
        Case(
            rule: PolicyRule(verbs: ["get"], nonResourceURLs: ["/healthz"]),
            attributes: AuthorizationAttributes(user: jane, verb: "get", target: .path("/healthz")), allowed: true, testDescription: "path"),
        Case(
            rule: PolicyRule(verbs: ["get"], nonResourceURLs: ["/apis/*"]),
            attributes: AuthorizationAttributes(user: jane, verb: "get", target: .path("/apis/apps/v1")), allowed: true, testDescription: "path prefix"),
        Case(
            rule: PolicyRule(verbs: ["get"], nonResourceURLs: ["/apis/*"]),
            attributes: AuthorizationAttributes(user: jane, verb: "get", target: .path("/api/v1")), allowed: false, testDescription: "outside the prefix"),
        Case(
            rule: PolicyRule(verbs: ["get"], nonResourceURLs: ["/apis/*"]),
            attributes: AuthorizationAttributes(user: jane, verb: "post", target: .path("/apis/x")), allowed: false, testDescription: "path, other verb"),
        Case(
            rule: PolicyRule(verbs: ["get"], nonResourceURLs: ["*"]), attributes: resource("get", "pods"), allowed: false,
            testDescription: "a path rule allows no resource"),
        Case(
            rule: PolicyRule(verbs: ["get"], apiGroups: ["*"], resources: ["*"]),
            attributes: AuthorizationAttributes(user: jane, verb: "get", target: .path("/version")), allowed: false,
            testDescription: "a resource rule allows no path"),
    ]

    @Test("rules match verbs, groups, resources, subresources, names and paths as Kubernetes' RBAC does", arguments: cases)
    func ruleMatching(_ testCase: Case) {
        #expect(testCase.rule.allows(testCase.attributes) == testCase.allowed)
    }

    static func binding(_ kind: String, _ name: String, namespace: String? = nil, role: (kind: String, name: String), subjects: [JSON]) -> JSON {
        var metadata: JSON = ["name": .string(name)]
        if let namespace { metadata["namespace"] = .string(namespace) }
        return [
            "kind": .string(kind), "metadata": metadata, "subjects": .array(subjects),
            "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": .string(role.kind), "name": .string(role.name)],
        ]
    }

    static func policy(roles: [JSON] = [], clusterRoles: [JSON] = [], roleBindings: [JSON] = [], clusterRoleBindings: [JSON] = []) -> RBACPolicy {
        RBACPolicy(
            roles: roles, clusterRoles: BootstrapPolicy.clusterRoles + clusterRoles, roleBindings: roleBindings,
            clusterRoleBindings: BootstrapPolicy.clusterRoleBindings + clusterRoleBindings)
    }

    @Test("the default roles nest by aggregation: view reads, edit writes and reads secrets, admin manages roles too")
    func defaultRolesAggregate() {
        let view = RBACPolicy.aggregated(BootstrapPolicy.clusterRoles)["view"] ?? []
        let edit = RBACPolicy.aggregated(BootstrapPolicy.clusterRoles)["edit"] ?? []
        let admin = RBACPolicy.aggregated(BootstrapPolicy.clusterRoles)["admin"] ?? []
        let allows = { (rules: [PolicyRule], attributes: AuthorizationAttributes) in rules.contains { $0.allows(attributes) } }
        #expect(allows(view, Self.resource("list", "pods")))
        #expect(allows(view, Self.resource("get", "deployments", group: "apps")))
        #expect(allows(view, Self.resource("list", "pods", group: "metrics.k8s.io")))
        #expect(!allows(view, Self.resource("create", "pods")))
        #expect(!allows(view, Self.resource("get", "secrets")))
        #expect(allows(edit, Self.resource("create", "deployments", group: "apps")))
        #expect(allows(edit, Self.resource("get", "secrets")))
        #expect(allows(edit, Self.resource("list", "pods")))
        #expect(!allows(edit, Self.resource("create", "rolebindings", group: "rbac.authorization.k8s.io")))
        #expect(allows(admin, Self.resource("create", "rolebindings", group: "rbac.authorization.k8s.io")))
        #expect(allows(admin, Self.resource("delete", "pods")))
        #expect(Set(view.map(\.verbs).joined()) == ["get", "list", "watch"])
    }

    @Test("a ClusterRole labelled aggregate-to-view extends view, edit and admin, and nothing else")
    func labelledRoleExtendsAggregates() {
        let widgets: JSON = [
            "kind": "ClusterRole", "metadata": ["name": "widget-reader", "labels": ["rbac.authorization.k8s.io/aggregate-to-view": "true"]],
            "rules": [["apiGroups": ["example.com"], "resources": ["widgets"], "verbs": ["get"]]],
        ]
        let roles = RBACPolicy.aggregated(BootstrapPolicy.clusterRoles + [widgets])
        let asked = Self.resource("get", "widgets", group: "example.com")
        for name in ["view", "edit", "admin", "widget-reader"] {
            #expect(roles[name]?.contains { $0.allows(asked) } == true, "\(name)")
        }
        #expect(roles["system:discovery"]?.contains { $0.allows(asked) } == false)
    }

    @Test("a RoleBinding grants only in its namespace, a ClusterRoleBinding everywhere, to users, groups and service accounts")
    func bindingsScope() {
        let reader: JSON = [
            "kind": "Role", "metadata": ["name": "reader", "namespace": "team"], "rules": [["apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]]],
        ]
        let policy = Self.policy(
            roles: [reader],
            roleBindings: [
                Self.binding("RoleBinding", "jane-view", namespace: "team", role: ("ClusterRole", "view"), subjects: [["kind": "User", "name": "jane"]]),
                Self.binding("RoleBinding", "devs-read", namespace: "team", role: ("Role", "reader"), subjects: [["kind": "Group", "name": "devs"]]),
                Self.binding(
                    "RoleBinding", "bot", namespace: "team", role: ("ClusterRole", "edit"),
                    subjects: [["kind": "ServiceAccount", "name": "bot", "namespace": "ci"]]),
                // A RoleBinding to a Role of another namespace grants nothing.
                Self.binding("RoleBinding", "elsewhere", namespace: "other", role: ("Role", "reader"), subjects: [["kind": "User", "name": "jane"]]),
            ],
            clusterRoleBindings: [Self.binding("ClusterRoleBinding", "ops", role: ("ClusterRole", "view"), subjects: [["kind": "Group", "name": "ops"]])])
        #expect(policy.allows(Self.resource("list", "pods")))
        #expect(!policy.allows(Self.resource("list", "pods", namespace: "other")))
        #expect(!policy.allows(Self.resource("list", "pods", namespace: nil)))
        #expect(policy.allows(Self.resource("get", "configmaps", user: UserInfo(name: "sam", groups: ["devs"]))))
        #expect(!policy.allows(Self.resource("get", "configmaps", namespace: "other")))
        let bot = UserInfo(name: "system:serviceaccount:ci:bot", groups: [])
        #expect(policy.allows(Self.resource("create", "pods", user: bot)))
        let ops = UserInfo(name: "olga", groups: ["ops"])
        #expect(policy.allows(Self.resource("list", "pods", namespace: "anywhere", user: ops)))
        #expect(policy.allows(Self.resource("list", "namespaces", namespace: nil, user: ops)))
        #expect(!policy.allows(Self.resource("delete", "pods", namespace: "anywhere", user: ops)))
        // Every authenticated user reads discovery and asks about itself.
        #expect(policy.allows(AuthorizationAttributes(user: UserInfo(name: "nobody", groups: []), verb: "get", target: .path("/apis/apps/v1"))))
        #expect(!policy.allows(AuthorizationAttributes(user: UserInfo(name: "nobody", groups: []), verb: "get", target: .path("/metrics"))))
        #expect(policy.allows(Self.resource("create", "selfsubjectaccessreviews", group: "authorization.k8s.io", namespace: nil, user: ops)))
        // system:masters is bound to cluster-admin.
        #expect(policy.allows(Self.resource("delete", "nodes", namespace: nil, name: "n1", user: .admin)))
        #expect(policy.rules(for: Self.jane, namespace: "team").contains(PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["configmaps"])))
        #expect(!policy.rules(for: Self.jane, namespace: "other").contains { $0.resources.contains("pods") })
    }

    @Test("the 403 message is Kubernetes' word for word")
    func forbiddenMessages() {
        #expect(
            Self.resource("create", "pods").forbiddenMessage
                == #"pods is forbidden: User "jane" cannot create resource "pods" in API group "" in the namespace "team""#)
        #expect(
            Self.resource("get", "deployments", group: "apps", name: "web").forbiddenMessage
                == #"deployments.apps "web" is forbidden: User "jane" cannot get resource "deployments" in API group "apps" in the namespace "team""#)
        #expect(
            Self.resource("list", "nodes", namespace: nil).forbiddenMessage
                == #"nodes is forbidden: User "jane" cannot list resource "nodes" in API group "" at the cluster scope"#)
        #expect(
            Self.resource("get", "pods", subresource: "log", name: "p").forbiddenMessage
                == #"pods "p" is forbidden: User "jane" cannot get resource "pods/log" in API group "" in the namespace "team""#)
        #expect(
            AuthorizationAttributes(user: Self.jane, verb: "get", target: .path("/metrics")).forbiddenMessage
                == #"forbidden: User "jane" cannot get path "/metrics""#)
    }
}
