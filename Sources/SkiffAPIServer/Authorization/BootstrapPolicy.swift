import SkiffAPI

/// The ClusterRoles and ClusterRoleBindings every cluster starts with, as Kubernetes' bootstrap
/// policy has them: `cluster-admin` (bound to `system:masters`), the user-facing `admin`, `edit`
/// and `view` (aggregated from the `system:aggregate-to-*` roles, so adding a labelled
/// ClusterRole extends them), and the discovery and self-review rights every authenticated user
/// has. Agents are decided for by the node authorizer, and the scheduler and controllers run
/// inside the server with its own authority, so no component role is bound.
enum BootstrapPolicy {
    static let read: [String] = ["get", "list", "watch"]
    static let write: [String] = ["create", "delete", "deletecollection", "patch", "update"]
    static let readWrite: [String] = read + write

    static func rule(_ verbs: [String], _ group: String, _ resources: [String]) -> PolicyRule {
        PolicyRule(verbs: verbs, apiGroups: [group], resources: resources)
    }

    static let aggregateToView: [PolicyRule] = [
        rule(
            read, "",
            [
                "pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services", "services/status", "endpoints",
                "persistentvolumeclaims", "persistentvolumeclaims/status", "configmaps",
            ]),
        rule(
            read, "",
            [
                "limitranges", "resourcequotas", "bindings", "events", "pods/status", "resourcequotas/status", "namespaces/status",
                "replicationcontrollers/status", "pods/log",
            ]),
        rule(read, "", ["namespaces"]),
        rule(read, "discovery.k8s.io", ["endpointslices"]),
        rule(
            read, "apps",
            [
                "controllerrevisions", "statefulsets", "statefulsets/status", "statefulsets/scale", "daemonsets", "daemonsets/status",
                "deployments", "deployments/status", "deployments/scale", "replicasets", "replicasets/status", "replicasets/scale",
            ]),
        rule(read, "autoscaling", ["horizontalpodautoscalers", "horizontalpodautoscalers/status"]),
        rule(read, "batch", ["jobs", "cronjobs", "cronjobs/status", "jobs/status"]),
        rule(read, "policy", ["poddisruptionbudgets", "poddisruptionbudgets/status"]),
        rule(read, "networking.k8s.io", ["networkpolicies", "ingresses", "ingresses/status"]),
    ]

    static let aggregateToEdit: [PolicyRule] = [
        // Reading these escalates (secrets, a shell in a pod), so view has none of them.
        rule(read, "", ["pods/attach", "pods/proxy", "pods/exec", "pods/portforward", "secrets", "services/proxy"]),
        rule(["impersonate"], "", ["serviceaccounts"]),
        rule(write, "", ["pods", "pods/attach", "pods/proxy", "pods/exec", "pods/portforward"]),
        rule(["create"], "", ["pods/eviction"]),
        rule(
            write, "",
            [
                "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services", "services/proxy",
                "persistentvolumeclaims", "configmaps", "secrets", "events",
            ]),
        rule(["create"], "", ["serviceaccounts/token"]),
        rule(
            write, "apps",
            [
                "statefulsets", "statefulsets/scale", "daemonsets", "deployments", "deployments/scale", "deployments/rollback", "replicasets",
                "replicasets/scale",
            ]),
        rule(write, "autoscaling", ["horizontalpodautoscalers"]),
        rule(write, "batch", ["jobs", "cronjobs"]),
        rule(write, "policy", ["poddisruptionbudgets"]),
        rule(write, "networking.k8s.io", ["networkpolicies", "ingresses"]),
        rule(readWrite, "coordination.k8s.io", ["leases"]),
    ]

    static let aggregateToAdmin: [PolicyRule] = [
        rule(["create"], "authorization.k8s.io", ["localsubjectaccessreviews"]),
        rule(readWrite, RBACResources.group, ["roles", "rolebindings"]),
    ]

    static let discoveryPaths = ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"]

    static func aggregateLabel(_ role: String) -> String { "rbac.authorization.k8s.io/aggregate-to-\(role)" }

    static func clusterRole(_ name: String, rules: [PolicyRule], labels: [String: String] = [:], aggregating: String? = nil) -> JSON {
        var allLabels = labels
        allLabels["kubernetes.io/bootstrapping"] = "rbac-defaults"
        var role: JSON = [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": ["name": .string(name), "labels": .object(allLabels.mapValues { .string($0) })],
            "rules": .array(rules.map(\.json)),
        ]
        if let aggregating {
            role["aggregationRule"] = ["clusterRoleSelectors": [["matchLabels": .object([aggregateLabel(aggregating): "true"])]]]
        }
        return role
    }

    static func binding(_ name: String, role: String, groups: [String]) -> JSON {
        [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": ["name": .string(name), "labels": ["kubernetes.io/bootstrapping": "rbac-defaults"]],
            "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": .string(role)],
            "subjects": .array(groups.map { ["apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": .string($0)] }),
        ]
    }

    static let clusterRoles: [JSON] = [
        clusterRole(
            "cluster-admin",
            rules: [PolicyRule(verbs: ["*"], apiGroups: ["*"], resources: ["*"]), PolicyRule(verbs: ["*"], nonResourceURLs: ["*"])]),
        clusterRole("admin", rules: [], aggregating: "admin"),
        clusterRole("edit", rules: [], labels: [aggregateLabel("admin"): "true"], aggregating: "edit"),
        clusterRole("view", rules: [], labels: [aggregateLabel("edit"): "true"], aggregating: "view"),
        clusterRole("system:aggregate-to-admin", rules: aggregateToAdmin, labels: [aggregateLabel("admin"): "true"]),
        clusterRole("system:aggregate-to-edit", rules: aggregateToEdit, labels: [aggregateLabel("edit"): "true"]),
        clusterRole("system:aggregate-to-view", rules: aggregateToView, labels: [aggregateLabel("view"): "true"]),
        // What metrics-server adds, so `kubectl top` works for whoever can view.
        clusterRole(
            "system:aggregated-metrics-reader", rules: [rule(read, "metrics.k8s.io", ["pods", "nodes"])],
            labels: [aggregateLabel("view"): "true", aggregateLabel("edit"): "true", aggregateLabel("admin"): "true"]),
        clusterRole("system:discovery", rules: [PolicyRule(verbs: ["get"], nonResourceURLs: discoveryPaths)]),
        clusterRole(
            "system:public-info-viewer", rules: [PolicyRule(verbs: ["get"], nonResourceURLs: ["/healthz", "/livez", "/readyz", "/version", "/version/"])]),
        // Service accounts may fetch the token issuer's documents (to verify each other's tokens).
        clusterRole(
            "system:service-account-issuer-discovery",
            rules: [
                PolicyRule(
                    verbs: ["get"],
                    nonResourceURLs: ["/.well-known/openid-configuration", "/.well-known/openid-configuration/", "/openid/v1/jwks", "/openid/v1/jwks/"])
            ]),
        clusterRole(
            "system:basic-user",
            rules: [
                rule(["create"], "authorization.k8s.io", ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
                rule(["create"], "authentication.k8s.io", ["selfsubjectreviews"]),
            ]),
    ]

    static let clusterRoleBindings: [JSON] = [
        binding("cluster-admin", role: "cluster-admin", groups: [UserInfo.mastersGroup]),
        binding("system:discovery", role: "system:discovery", groups: [UserInfo.authenticatedGroup]),
        binding("system:basic-user", role: "system:basic-user", groups: [UserInfo.authenticatedGroup]),
        binding(
            "system:service-account-issuer-discovery", role: "system:service-account-issuer-discovery",
            groups: [ServiceAccountClaims.allServiceAccountsGroup]),
        binding("system:public-info-viewer", role: "system:public-info-viewer", groups: [UserInfo.authenticatedGroup, "system:unauthenticated"]),
    ]

    /// Creates the default roles and bindings that are missing; existing ones (perhaps changed
    /// by an administrator) are left as they are.
    static func ensure(_ api: KubeAPI) async throws {
        for role in clusterRoles {
            try await Bootstrap.createIfMissing(
                api, KubeAPI.Target(definition: RBACResources.clusterRole, namespace: nil, name: nil, subresource: nil), role)
        }
        for binding in clusterRoleBindings {
            try await Bootstrap.createIfMissing(
                api, KubeAPI.Target(definition: RBACResources.clusterRoleBinding, namespace: nil, name: nil, subresource: nil), binding)
        }
    }
}
