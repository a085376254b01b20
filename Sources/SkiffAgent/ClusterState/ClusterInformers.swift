import Logging
import SkiffAPI
import SkiffClient

/// The agent's shared view of the cluster beyond its own pods: Nodes (for routes to their pod
/// ranges), Services and EndpointSlices (for the service proxy and the DNS server). One watch
/// per resource however many loops read it, as client-go's shared informer factory does.
struct ClusterInformers: Sendable {
    let nodes: Informer<KubeNode>
    let services: Informer<KubeService>
    let endpointSlices: Informer<EndpointSlice>

    init(client: any ListWatchClient, logger: Logger) {
        nodes = Informer(client: client, resourcePath: "/api/v1/nodes", logger: logger) { try KubeNode(json: $0) }
        services = Informer(client: client, resourcePath: "/api/v1/services", logger: logger) { try KubeService(json: $0) }
        endpointSlices = Informer(client: client, resourcePath: "/apis/discovery.k8s.io/v1/endpointslices", logger: logger) {
            try EndpointSlice(json: $0)
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
