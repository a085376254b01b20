import SkiffAPI

/// What a node's credentials may do: read anything, write its own Node and Lease, the status of
/// pods bound to it (and delete them once terminated), request tokens for their ServiceAccounts
/// bound to them, and record Events.
enum NodeAuthorizer {
    enum Decision: Equatable {
        case allow
        /// Allowed if the existing pod is bound to this node (checked against the stored object).
        case allowIfPodBound
        /// A TokenRequest allowed if it binds the token to a pod bound to this node that runs as
        /// the ServiceAccount (checked against the stored pod).
        case allowIfTokenForBoundPod
        case deny(String)
    }

    static func decide(node: String, verb: String, resource: ResourceDefinition, namespace: String?, name: String?, subresource: String?) -> Decision {
        if ["get", "list", "watch"].contains(verb) { return .allow }
        let denial = Decision.deny(
            "node \"\(node)\" cannot \(verb) resource \"\(resource.plural)\"\(subresource.map { "/\($0)" } ?? "")\(name.map { " named \"\($0)\"" } ?? "")")
        switch (resource.naming.group, resource.plural) {
        case ("", "nodes"):
            return name == node && verb != "delete" ? .allow : denial
        case ("coordination.k8s.io", "leases"):
            return namespace == "kube-node-lease" && name == node ? .allow : denial
        case ("", "pods"):
            if subresource == "status" && (verb == "update" || verb == "patch") { return .allowIfPodBound }
            if subresource == nil && verb == "delete" { return .allowIfPodBound }
            return denial
        case ("", "serviceaccounts"):
            return subresource == "token" && verb == "create" ? .allowIfTokenForBoundPod : denial
        case ("", "events"), ("events.k8s.io", "events"):
            return verb == "create" || verb == "patch" || verb == "update" ? .allow : denial
        default:
            return denial
        }
    }
}
