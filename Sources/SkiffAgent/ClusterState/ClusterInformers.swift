import Logging
import SkiffAPI
import SkiffClient

/// The agent's shared view of the cluster beyond its own pods: Nodes (for routes to their pod
/// ranges), Services and EndpointSlices (for the service proxy and the DNS server). One watch
/// per resource however many loops read it, as client-go's shared informer factory does.
/// Every pod, Namespace and NetworkPolicy too, for network policies (peers live on any node).
/// An informer only watches once it is among the loops the agent runs.
struct ClusterInformers: Sendable {
    let nodes: Informer<KubeNode>
    let services: Informer<KubeService>
    let endpointSlices: Informer<EndpointSlice>
    let pods: Informer<Pod>
    let namespaces: Informer<ObjectMeta>
    let networkPolicies: Informer<NetworkPolicy>

    init(client: any ListWatchClient, logger: Logger) {
        nodes = Informer(client: client, resourcePath: "/api/v1/nodes", logger: logger) { try KubeNode(json: $0) }
        services = Informer(client: client, resourcePath: "/api/v1/services", logger: logger) { try KubeService(json: $0) }
        endpointSlices = Informer(client: client, resourcePath: "/apis/discovery.k8s.io/v1/endpointslices", logger: logger) {
            try EndpointSlice(json: $0)
        }
        pods = Informer(client: client, resourcePath: "/api/v1/pods", logger: logger) { try Pod(json: $0) }
        namespaces = Informer(client: client, resourcePath: "/api/v1/namespaces", logger: logger) {
            try ObjectMeta(json: JSONField($0["metadata"], path: "metadata"))
        }
        networkPolicies = Informer(client: client, resourcePath: "/apis/networking.k8s.io/v1/networkpolicies", logger: logger) {
            try NetworkPolicy(json: $0)
        }
    }

    /// The loop of a controller that recomputes everything from Services and EndpointSlices:
    /// registers on both informers (call before they run) and syncs once they have listed.
    func servicesAndSlicesWorker(name: String, logger: Logger, sync: @escaping @Sendable () async throws -> Void) -> QueueWorkers<String> {
        let queue = WorkQueue<String>()
        services.addHandler(WholeStateSync.trigger(queue))
        endpointSlices.addHandler(WholeStateSync.trigger(queue))
        queue.add(WholeStateSync.key)
        return QueueWorkers(name: name, queue: queue, logger: logger, waitForCaches: waitForServicesAndSlices) { _ in try await sync() }
    }

    func waitForPolicyInputs() async {
        await pods.waitForSync()
        await namespaces.waitForSync()
        await networkPolicies.waitForSync()
    }

    func waitForServicesAndSlices() async {
        await services.waitForSync()
        await endpointSlices.waitForSync()
    }
}

/// Controllers that recompute everything on any change (the proxy's rules, the DNS records, the
/// routes) share one key: changes that arrive while a sync runs coalesce into one more.
enum WholeStateSync {
    static let key = "sync"

    /// A handler that asks for a sync on any change.
    static func trigger<Object: Sendable>(_ queue: WorkQueue<String>) -> @Sendable (InformerChange<Object>) -> Void {
        { _ in queue.add(key) }
    }
}
