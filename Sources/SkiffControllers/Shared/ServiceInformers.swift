import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffClient

/// The informers the endpoint controllers read, from the shared factory: Services, Pods,
/// EndpointSlices and Endpoints, each indexed by namespace; slices also by the Service they
/// belong to.
public struct ServiceInformers: Sendable {
    public let services: Informer<KubeService>
    public let pods: Informer<Pod>
    public let endpointSlices: Informer<EndpointSlice>
    public let endpoints: Informer<KubeEndpoints>

    /// Index of every informer: the object's namespace.
    public static let byNamespace = SharedInformers.byNamespace
    /// Index of the slice informer: `namespace/service` from the `kubernetes.io/service-name` label.
    public static let byService = "service"

    public init(_ shared: SharedInformers) {
        services = shared.services
        pods = shared.pods
        endpointSlices = shared.endpointSlices
        endpoints = shared.endpoints
        endpointSlices.addIndex(Self.byService) { slice in slice.serviceName.map { ["\(slice.metadata.namespace)/\($0)"] } ?? [] }
    }

    /// Informers of their own, outside a control plane's shared factory (tests, one controller alone).
    public init(client: any ListWatchClient, logger: Logger) { self.init(SharedInformers(client: client, logger: logger)) }

    /// The four informers as Services, when they are not run by the shared factory's `runnables`.
    public var runnables: [any Service] { [services, pods, endpointSlices, endpoints] }

    /// Keys (`namespace/name`) of the Services whose selector selects `pod`.
    public func serviceKeys(selecting pod: Pod) -> [String] {
        services.objects(index: Self.byNamespace, value: pod.namespace).compactMap { service in
            guard let selector = service.spec.selector, ServiceBackends.selects(selector, pod.labels) else { return nil }
            return service.key
        }
    }

    /// Has `workers` sync a Service when it changes, and every Service selecting a pod when the
    /// pod changes: what both endpoint controllers follow. Call before the informers run.
    func enqueueServicesOnChange(_ workers: SyncWorkers) {
        services.addHandler { change in
            switch change {
            case .added(let service), .deleted(let service): workers.enqueue(service.key)
            case .updated(let old, let new): if old != new { workers.enqueue(new.key) }
            }
        }
        pods.addHandler { [self] change in
            switch change {
            case .added(let pod), .deleted(let pod):
                for key in serviceKeys(selecting: pod) { workers.enqueue(key) }
            case .updated(let old, let new):
                // Both: a relabelled pod leaves one Service and joins another.
                for key in Set(serviceKeys(selecting: old) + serviceKeys(selecting: new)) { workers.enqueue(key) }
            }
        }
    }

    /// The pods in a namespace.
    public func pods(in namespace: String) -> [Pod] { pods.objects(index: Self.byNamespace, value: namespace) }

    /// Waits until every informer has loaded its first list; false if cancelled first.
    public func waitForSync() async -> Bool {
        await services.waitForSync()
        await pods.waitForSync()
        await endpointSlices.waitForSync()
        await endpoints.waitForSync()
        return !Task.isCancelled
    }
}
