import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffStore
import Synchronization

/// Decides for users from RBAC: an `RBACPolicy` index of the Roles, ClusterRoles and bindings,
/// rebuilt from one store watch on their API group whenever one of them changes (Kubernetes'
/// RBAC authorizer reads informer caches the same way). Requests never read the store for a
/// decision, except in the moment after a start before the first list, when the policy is read
/// once per request so nothing is decided on an empty index.
public final class RBACAuthorizer: Sendable {
    /// The index; nil until the first list and after the watch ends.
    private let policy = Mutex<RBACPolicy?>(nil)

    static let prefix = "/registry/\(RBACResources.group)/"
    static let kinds: [String: ResourceDefinition] = [
        RBACResources.role.prefix(namespace: nil): RBACResources.role,
        RBACResources.clusterRole.prefix(namespace: nil): RBACResources.clusterRole,
        RBACResources.roleBinding.prefix(namespace: nil): RBACResources.roleBinding,
        RBACResources.clusterRoleBinding.prefix(namespace: nil): RBACResources.clusterRoleBinding,
    ]

    public init() {}

    /// The current index, or one read from the store if the watch has not listed yet.
    func current(_ api: KubeAPI) async throws -> RBACPolicy {
        if let policy = policy.withLock({ $0 }) { return policy }
        let revision = try await api.store.currentRevision()
        var objects: [String: JSON] = [:]
        for item in try await ControllerInput.listAll(store: api.store, prefix: Self.prefix, revision: revision) {
            if let object = try? api.decode(item) { objects[item.key] = object }
        }
        return Self.index(objects)
    }

    /// Lists the four kinds, then follows their watch, rebuilding the index on every change.
    func follow(_ api: KubeAPI) async throws {
        defer { policy.withLock { $0 = nil } }
        let revision = try await api.store.currentRevision()
        let events = try await api.store.watch(prefix: Self.prefix, afterRevision: revision)
        var objects: [String: JSON] = [:]
        for item in try await ControllerInput.listAll(store: api.store, prefix: Self.prefix, revision: revision) {
            if let object = try? api.decode(item) { objects[item.key] = object }
        }
        policy.withLock { $0 = Self.index(objects) }
        for await event in events {
            if event.kind == .deleted {
                objects[event.key] = nil
            } else if let object = try? api.decode(event.value, revision: event.revision) {
                objects[event.key] = object
            }
            let rebuilt = Self.index(objects)
            policy.withLock { $0 = rebuilt }
        }
    }

    /// Sorts stored objects by kind (from their keys) into a policy.
    static func index(_ objects: [String: JSON]) -> RBACPolicy {
        var byKind: [String: [JSON]] = [:]
        for (key, object) in objects {
            guard let kind = kinds.first(where: { key.hasPrefix($0.key) })?.value.kind else { continue }
            byKind[kind, default: []].append(object)
        }
        return RBACPolicy(
            roles: byKind["Role"] ?? [], clusterRoles: byKind["ClusterRole"] ?? [], roleBindings: byKind["RoleBinding"] ?? [],
            clusterRoleBindings: byKind["ClusterRoleBinding"] ?? [])
    }
}

/// Runs the RBAC index's watch until graceful shutdown, relisting when it ends.
struct RBACAuthorizerService: Service {
    let api: KubeAPI
    let logger: Logger

    func run() async throws {
        await ControllerInput.runRestarting("rbac authorizer", logger: logger, interval: .seconds(1)) { [api] in
            try await api.rbac.follow(api)
        }
    }
}
