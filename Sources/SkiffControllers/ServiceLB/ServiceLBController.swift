import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffClient

/// k3s's ServiceLB, without its per-Service DaemonSet: every node's proxy already serves a
/// LoadBalancer Service's port on the node's own address, so the controller only publishes
/// where: `status.loadBalancer.ingress` lists the InternalIPs of the Ready, schedulable nodes.
/// It follows Services and Nodes; a node that goes NotReady or away drops out of the list.
public struct ServiceLBController: Service {
    public static let fieldManager = "service-lb-controller"

    let client: any ControllerClient
    let services: Informer<KubeService>
    let nodes: Informer<KubeNode>
    let workers: SyncWorkers

    /// Registers its handlers on `services` and `nodes`; run `nodes` (and `services`) beside it.
    public init(client: any ControllerClient, services: Informer<KubeService>, nodes: Informer<KubeNode>, logger: Logger) {
        self.client = client
        self.services = services
        self.nodes = nodes
        let workers = SyncWorkers(name: "service-lb controller", workers: 1, logger: logger)
        self.workers = workers
        services.addHandler { change in
            switch change {
            case .added(let service), .deleted(let service): workers.enqueue(service.key)
            case .updated(let old, let new):
                // Its own status write comes back as an update: only a type or address change matters.
                if old.spec.type != new.spec.type || old.loadBalancerIngressIPs != new.loadBalancerIngressIPs { workers.enqueue(new.key) }
            }
        }
        nodes.addHandler { change in
            let affected: Bool
            switch change {
            case .added(let node), .deleted(let node): affected = node.internalIP != nil
            case .updated(let old, let new): affected = Self.serves(old) != Self.serves(new) || old.internalIP != new.internalIP
            }
            guard affected else { return }
            for service in services.list() where service.spec.type == .loadBalancer { workers.enqueue(service.key) }
        }
    }

    public func run() async {
        let services = services
        let nodes = nodes
        await services.waitForSync()
        await nodes.waitForSync()
        for service in services.list() where service.spec.type == .loadBalancer { workers.enqueue(service.key) }
        await workers.run { key in try await self.sync(key) }
    }

    /// Whether a node's address belongs in the ingress list.
    public static func serves(_ node: KubeNode) -> Bool { node.isReady && !node.unschedulable && node.internalIP != nil }

    /// The ingress addresses a LoadBalancer Service should list, given the nodes.
    public static func ingress(for nodes: [KubeNode]) -> [String] {
        nodes.filter(serves).compactMap(\.internalIP).sorted { IPv4Order.less($0, $1) }
    }

    func sync(_ key: String) async throws {
        guard let service = services.get(key), service.spec.type == .loadBalancer else { return }
        let wanted = Self.ingress(for: nodes.list())
        guard service.loadBalancerIngressIPs != wanted else { return }
        // Re-read so the write carries the current resourceVersion (409 retries the key).
        guard var object = try await client.get(.services, namespace: service.metadata.namespace, name: service.metadata.name) else { return }
        object["status"]["loadBalancer"] = ["ingress": .array(wanted.map { ["ip": .string($0), "ipMode": "VIP"] })]
        _ = try await client.update(.serviceStatus, namespace: service.metadata.namespace, object, fieldManager: Self.fieldManager)
    }
}

/// Numeric order of dotted IPv4 addresses, so 10.99.0.9 lists before 10.99.0.11.
enum IPv4Order {
    static func less(_ left: String, _ right: String) -> Bool {
        let a = left.split(separator: ".").compactMap { Int($0) }
        let b = right.split(separator: ".").compactMap { Int($0) }
        return a.lexicographicallyPrecedes(b)
    }
}
