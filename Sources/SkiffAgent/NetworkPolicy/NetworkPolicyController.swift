import Logging
import SkiffAPI
import SkiffClient
import SkiffNetworkPolicy

/// kube-router's network policy job on this node: whenever a NetworkPolicy, a namespace's
/// labels or a pod's address, labels or named ports change, recompile the policies for this
/// node and hand the result to `NetworkPolicyEnforcer`, which sends nft only the sets that
/// changed (or the whole table when a policy did). Pod status updates that change nothing a
/// policy reads do not trigger a sync.
final class NetworkPolicyController: Sendable {
    let informers: ClusterInformers
    let enforcer: NetworkPolicyEnforcer
    let nodeName: String
    let logger: Logger

    init(informers: ClusterInformers, enforcer: NetworkPolicyEnforcer, nodeName: String, logger: Logger) {
        self.informers = informers
        self.enforcer = enforcer
        self.nodeName = nodeName
        self.logger = logger
    }

    /// Registers on the informers (before they run) and returns the loop to run.
    func worker() -> QueueWorkers<String> {
        let queue = WorkQueue<String>()
        let nodeName = nodeName
        informers.networkPolicies.addHandler(WholeStateSync.trigger(queue))
        informers.namespaces.addHandler { change in
            if case .updated(let old, let new) = change, old.labels == new.labels { return }
            queue.add(WholeStateSync.key)
        }
        informers.pods.addHandler { change in
            if case .updated(let old, let new) = change, PolicyPod(old, localNode: nodeName) == PolicyPod(new, localNode: nodeName) { return }
            queue.add(WholeStateSync.key)
        }
        queue.add(WholeStateSync.key)
        return QueueWorkers(name: "network policy", queue: queue, logger: logger, waitForCaches: informers.waitForPolicyInputs) { _ in
            try await self.sync()
        }
    }

    func sync() async throws {
        let policies = informers.networkPolicies.list()
        let pods = informers.pods.list().compactMap { PolicyPod($0, localNode: nodeName) }
        let namespaces = informers.namespaces.list().map { PolicyNamespace(name: $0.name, labels: $0.labels) }
        let enforcer = enforcer
        let report = try await blocking { try enforcer.sync(policies: policies, pods: pods, namespaces: namespaces) }
        logger.debug(
            "network policy rules synced",
            metadata: ["policies": "\(policies.count)", "pods": "\(pods.count)", "full": "\(report.fullSync)", "bytes": "\(report.scriptBytes)"])
    }
}
