import Logging
import SkiffAPI
import SkiffClient
import SkiffNetwork
import SkiffPodNetwork
import SkiffSystem
import Synchronization

/// flannel's job on this node: whenever a Node appears, changes or goes, make this host's routes
/// to the other nodes' pod ranges (host-gw or VXLAN per peer) and the masquerade of traffic
/// leaving the cluster match. Nodes that cannot be routed yet (no range, no address) are logged
/// once and retried with the next change.
final class PodNetworkController: Sendable {
    let informers: ClusterInformers
    let routes: PodNetworkRoutes
    let local: LocalNode
    let logger: Logger
    private let queue = WorkQueue<String>()
    private let reported = Mutex<Set<String>>([])

    init(informers: ClusterInformers, routes: PodNetworkRoutes, local: LocalNode, logger: Logger) {
        self.informers = informers
        self.routes = routes
        self.local = local
        self.logger = logger
    }

    /// Registers on the Node informer (before it runs) and returns the loop to run.
    func worker() -> QueueWorkers<String> {
        informers.nodes.addHandler(WholeStateSync.trigger(queue))
        queue.add(WholeStateSync.key)
        let nodes = informers.nodes
        return QueueWorkers(name: "pod network", queue: queue, logger: logger, waitForCaches: { await nodes.waitForSync() }) { _ in
            try await self.sync()
        }
    }

    func sync() async throws {
        let peers = Self.peers(of: informers.nodes.list(), local: local.name) { problem in self.warnOnce(problem) }
        let routes = routes
        let local = local
        let report = try await blocking { try routes.sync(local: local, peers: peers) }
        for skipped in report.skipped { warnOnce("\(skipped)") }
        if report.changes > 0 {
            logger.info("pod network routes updated", metadata: ["peers": "\(peers.count)", "changes": "\(report.changes)"])
        }
    }

    /// Every other Node with an InternalIP, as a peer; a Node whose address or range does not
    /// parse is reported and left out (its pods are unreachable until it is fixed).
    static func peers(of nodes: [KubeNode], local: String, report: (String) -> Void) -> [PeerNode] {
        nodes.filter { $0.name != local }.sorted { $0.name < $1.name }.compactMap { node in
            guard let address = node.internalIP else {
                report("node \(node.name) has no InternalIP yet; no route to its pods")
                return nil
            }
            do {
                return try PeerNode(name: node.name, internalIP: address, podCIDR: node.podCIDRs.first)
            } catch {
                report("node \(node.name): \(error)")
                return nil
            }
        }
    }

    private func warnOnce(_ problem: String) {
        guard reported.withLock({ $0.insert(problem).inserted }) else { return }
        logger.warning("pod network: \(problem)")
    }
}
