import Logging
import SkiffAPI
import SkiffClient

/// The garbage collector's dependency graph, as kube-controller-manager's graph builder keeps
/// it: one metadata informer per resource type discovery offers (that can be listed, watched and
/// deleted), each indexed by owner uid, so the dependents of any object are one lookup per type.
struct GraphMonitors: Sendable {
    /// Index of every monitor: the uids its objects name in `ownerReferences`.
    static let byOwner = "owner"
    /// Kinds never owners nor owned in practice, and written too often to be worth following.
    static let ignored: Set<String> = ["events", "events.events.k8s.io"]

    struct Monitor: Sendable {
        let resource: ServedResource
        let informer: Informer<GraphNode>
    }

    let monitors: [Monitor]
    /// `group/Kind` → the resource that serves it, for resolving owner references.
    let kinds: [String: ServedResource]

    /// Monitors for the `served` types; a type whose list answers 404 (discovery ahead of what
    /// is really served) is left out, and the cluster is not asked again.
    init(served: [ServedResource], client: any ListWatchClient, logger: Logger) async throws {
        var kinds: [String: ServedResource] = [:]
        var monitors: [Monitor] = []
        var seen: Set<String> = []
        // Discovery lists a group's preferred version first; one monitor per group and resource.
        for resource in served where resource.resource.subresource == nil {
            let kindKey = "\(resource.resource.group)/\(resource.kind)"
            if kinds[kindKey] == nil { kinds[kindKey] = resource }
            guard resource.isManageable, !Self.ignored.contains(resource.qualifiedPlural), seen.insert(resource.qualifiedPlural).inserted else { continue }
            do {
                _ = try await client.list(resource.resource.collectionPath + "?limit=1")
            } catch let error as APIError where error.code == 404 {
                logger.info("not following a resource the server does not serve", metadata: ["resource": "\(resource.qualifiedPlural)"])
                continue
            }
            let informer = Informer<GraphNode>(client: client, resourcePath: resource.resource.collectionPath, logger: logger) { try GraphNode(json: $0) }
            informer.addIndex(Self.byOwner) { node in node.owners.map(\.uid) }
            monitors.append(Monitor(resource: resource, informer: informer))
        }
        self.monitors = monitors
        self.kinds = kinds
    }

    /// The resource serving an owner reference's kind, or nil when the server serves no such kind.
    func resource(of owner: GraphNode.Owner) -> ServedResource? { kinds["\(owner.group)/\(owner.kind)"] }

    /// Where an owner lives, resolved against its dependent's namespace (owners are in the same
    /// namespace, or cluster-scoped); nil for a kind the server does not serve, or a namespaced
    /// owner of a cluster-scoped dependent (which Kubernetes treats as absent).
    func id(of owner: GraphNode.Owner, dependentNamespace namespace: String) -> GraphObjectID? {
        guard let served = resource(of: owner), !(served.namespaced && namespace.isEmpty) else { return nil }
        return GraphObjectID(resource: served.resource, namespace: served.namespaced ? namespace : "", name: owner.name)
    }

    /// Every object the caches know that names `uid` among its owners.
    func dependents(of uid: String) -> [(id: GraphObjectID, node: GraphNode)] {
        monitors.flatMap { monitor in
            monitor.informer.objects(index: Self.byOwner, value: uid).map { node in
                (GraphObjectID(resource: monitor.resource.resource, namespace: node.namespace, name: node.name), node)
            }
        }
    }

    /// Every object the API has now that names `uid` among its owners, read with a list of each
    /// monitored type (in `namespace` for a namespaced owner: its dependents live beside it).
    /// For the decisions a cache that has not yet seen a new dependent must not make: orphaning,
    /// and letting an owner in Foreground go.
    func liveDependents(of uid: String, namespace: String, client: any ListWatchClient) async throws -> [(id: GraphObjectID, node: GraphNode)] {
        var found: [(id: GraphObjectID, node: GraphNode)] = []
        for monitor in monitors where namespace.isEmpty || monitor.resource.namespaced {
            let resource = monitor.resource.resource
            let list: JSON
            do {
                list = try await client.list(namespace.isEmpty ? resource.collectionPath : resource.collectionPath(namespace: namespace))
            } catch let error as APIError where error.code == 404 {
                continue  // a kind no longer served
            }
            for item in list["items"].array ?? [] {
                guard let node = try? GraphNode(json: item), node.owners.contains(where: { $0.uid == uid }) else { continue }
                found.append((GraphObjectID(resource: resource, namespace: node.namespace, name: node.name), node))
            }
        }
        return found
    }

    /// Waits until every monitor has loaded its first list.
    func waitForSync() async {
        for monitor in monitors { await monitor.informer.waitForSync() }
    }
}
