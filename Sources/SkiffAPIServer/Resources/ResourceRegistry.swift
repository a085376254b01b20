import SkiffAPI

/// Every kind the API server serves, looked up by group, version and plural.
public struct ResourceRegistry: Sendable {
    public let definitions: [ResourceDefinition]
    private let byPath: [String: ResourceDefinition]

    public init(definitions: [ResourceDefinition]) {
        self.definitions = definitions
        var byPath: [String: ResourceDefinition] = [:]
        for definition in definitions { byPath[Self.path(definition.naming.group, definition.naming.version, definition.plural)] = definition }
        self.byPath = byPath
    }

    public static let standard = ResourceRegistry(definitions: [
        CoreResources.namespace, CoreResources.node, CoreResources.pod, CoreResources.service, CoreResources.endpoints,
        CoreResources.event, CoreResources.configMap, CoreResources.secret, CoreResources.serviceAccount,
        AppsResources.deployment, AppsResources.replicaSet, AppsResources.daemonSet, AppsResources.job, AppsResources.cronJob,
        AppsResources.statefulSet, AppsResources.controllerRevision,
        // v2 first: the preferred (and stored) version.
        AutoscalingResources.horizontalPodAutoscaler, AutoscalingResources.horizontalPodAutoscalerV1,
        PolicyResources.podDisruptionBudget, NetworkingResources.networkPolicy,
        StorageResources.persistentVolume, StorageResources.persistentVolumeClaim, StorageResources.storageClass,
        ClusterResources.lease, ClusterResources.endpointSlice, ClusterResources.nodeMetrics, ClusterResources.podMetrics,
        RBACResources.role, RBACResources.clusterRole, RBACResources.roleBinding, RBACResources.clusterRoleBinding,
    ])

    static func path(_ group: String, _ version: String, _ plural: String) -> String { "\(group)/\(version)/\(plural)" }

    public func lookup(group: String, version: String, plural: String) -> ResourceDefinition? {
        byPath[Self.path(group, version, plural)]
    }

    public func definition(kind: String, group: String) -> ResourceDefinition? {
        definitions.first { $0.kind == kind && $0.naming.group == group }
    }

    /// Group → versions → definitions, in registration order (core group first, as "").
    var groups: [(name: String, versions: [(version: String, resources: [ResourceDefinition])])] {
        var order: [String] = []
        var byGroup: [String: [String: [ResourceDefinition]]] = [:]
        var versionOrder: [String: [String]] = [:]
        for definition in definitions {
            let group = definition.naming.group
            let version = definition.naming.version
            if byGroup[group] == nil { order.append(group) }
            if byGroup[group, default: [:]][version] == nil { versionOrder[group, default: []].append(version) }
            byGroup[group, default: [:]][version, default: []].append(definition)
        }
        return order.map { group in
            (group, (versionOrder[group] ?? []).map { ($0, byGroup[group]?[$0] ?? []) })
        }
    }
}
