import SkiffAPI

/// rbac.authorization.k8s.io/v1: Role, ClusterRole, RoleBinding and ClusterRoleBinding, with
/// Kubernetes' validation. `RBACAuthorizer` decides from them.
enum RBACResources {
    static let group = "rbac.authorization.k8s.io"

    static let role = ResourceDefinition(
        group: group, kind: "Role", plural: "roles", nameIsPathSegment: true, topLevelFields: ["rules"],
        validate: { role, validator in validateRules(role["rules"], namespaced: true, &validator) })

    static let clusterRole = ResourceDefinition(
        group: group, kind: "ClusterRole", plural: "clusterroles", namespaced: false, nameIsPathSegment: true, topLevelFields: ["rules", "aggregationRule"],
        validate: { role, validator in
            validateRules(role["rules"], namespaced: false, &validator)
            let aggregation = role["aggregationRule"]
            guard !aggregation.isNull else { return }
            for (index, selector) in (aggregation["clusterRoleSelectors"].array ?? []).enumerated() {
                PolicyResources.validateSelector(selector, "aggregationRule.clusterRoleSelectors[\(index)]", &validator)
            }
        })

    static let roleBinding = ResourceDefinition(
        group: group, kind: "RoleBinding", plural: "rolebindings", nameIsPathSegment: true, columns: [.text("Role") { roleRefColumn($0) }, .age],
        topLevelFields: ["subjects", "roleRef"],
        validate: { binding, validator in validateBinding(binding, roleKinds: ["Role", "ClusterRole"], &validator) })

    static let clusterRoleBinding = ResourceDefinition(
        group: group, kind: "ClusterRoleBinding", plural: "clusterrolebindings", namespaced: false, nameIsPathSegment: true,
        columns: [.text("Role") { roleRefColumn($0) }, .age], topLevelFields: ["subjects", "roleRef"],
        validate: { binding, validator in validateBinding(binding, roleKinds: ["ClusterRole"], &validator) })

    static func roleRefColumn(_ binding: JSON) -> String {
        "\(binding["roleRef"]["kind"].string ?? "")/\(binding["roleRef"]["name"].string ?? "")"
    }

    static func validateRules(_ rules: JSON, namespaced: Bool, _ validator: inout Validator) {
        for (index, rule) in (rules.array ?? []).enumerated() {
            let field = "rules[\(index)]"
            let count = { (name: String) in rule[name].array?.count ?? 0 }
            if count("verbs") == 0 { validator.fail("\(field).verbs", "Required value: verbs must contain at least one value") }
            if count("nonResourceURLs") > 0 {
                if namespaced {
                    validator.fail("\(field).nonResourceURLs", "Invalid value: namespaced rules cannot apply to non-resource URLs")
                } else if count("apiGroups") > 0 || count("resources") > 0 {
                    validator.fail("\(field).nonResourceURLs", "Invalid value: rules cannot apply to both regular resources and non-resource URLs")
                }
            } else if count("apiGroups") == 0 {
                validator.fail("\(field).apiGroups", "Required value: resource rules must supply at least one api group")
            } else if count("resources") == 0 {
                validator.fail("\(field).resources", "Required value: resource rules must supply at least one resource")
            }
        }
    }

    static func validateBinding(_ binding: JSON, roleKinds: [String], _ validator: inout Validator) {
        let roleRef = binding["roleRef"]
        validator.string(roleRef["apiGroup"], "roleRef.apiGroup", required: true, oneOf: [group])
        validator.string(roleRef["kind"], "roleRef.kind", required: true, oneOf: roleKinds)
        validator.string(roleRef["name"], "roleRef.name", required: true)
        for (index, subject) in (binding["subjects"].array ?? []).enumerated() {
            let field = "subjects[\(index)]"
            validator.string(subject["name"], "\(field).name", required: true)
            validator.string(subject["kind"], "\(field).kind", required: true, oneOf: ["User", "Group", "ServiceAccount"])
            if subject["kind"].string == "ServiceAccount" {
                validator.string(subject["namespace"], "\(field).namespace", required: true)
            } else {
                validator.string(subject["apiGroup"], "\(field).apiGroup", oneOf: [group])
            }
        }
    }
}
