import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffClient
import Synchronization

/// kube-controller-manager's node IPAM controller (its range allocator), for the Nodes the API's
/// create path could not give a pod CIDR because the cluster CIDR was used up: when a Node with
/// a range goes, the free /24 goes to the Node that has waited longest, in one write that also
/// lifts its network-unavailable taint. It also keeps each Node's taint and `NetworkUnavailable`
/// condition matching whether it has a range (an agent's status write may replace the
/// conditions; an operator may set a podCIDR by hand). It writes through the API, which holds a
/// range for one Node only (a range taken meanwhile is a 409, retried).
public final class NodeIPAMController: Service, Sendable {
    public static let fieldManager = NetworkUnavailable.manager

    let client: any ControllerClient
    let ranges: ClusterCIDRRanges
    let nodes: Informer<IPAMNode>
    let logger: Logger
    let queue = WorkQueue<String>()
    /// Waiting Nodes by the order they were first seen waiting: ranges go to the oldest first.
    let waiting = Mutex<(order: [String: Int], next: Int)>(([:], 0))
    /// Ranges this controller wrote that the informer has not shown yet (range → Node): a stale
    /// cache must not hand them out twice.
    let inFlight = Mutex<[String: String]>([:])

    /// Nil when `clusterCIDR` is not an IPv4 network of /8 to /24 (the server checks its flag first).
    public init?(client: any ControllerClient, clusterCIDR: String, logger: Logger) {
        guard let ranges = ClusterCIDRRanges(clusterCIDR: clusterCIDR) else { return nil }
        self.client = client
        self.ranges = ranges
        var logger = logger
        logger[metadataKey: "controller"] = "nodeipam"
        self.logger = logger
        nodes = Informer(client: client, resourcePath: APIResource.nodes.collectionPath, logger: logger) { try IPAMNode(json: $0) }
        // The informer is this controller's own: it never outlives it.
        nodes.addHandler { [weak self] change in self?.enqueue(change) }
    }

    /// Queues the Nodes a change concerns (a handler: it only enqueues).
    private func enqueue(_ change: InformerChange<IPAMNode>) {
        switch change {
        case .added(let node), .updated(_, let node):
            inFlight.withLock { inFlight in
                for cidr in node.podCIDRs where inFlight[cidr] == node.name { inFlight[cidr] = nil }
            }
            if node.isWaiting {
                waiting.withLock { state in
                    if state.order[node.name] == nil {
                        state.order[node.name] = state.next
                        state.next += 1
                    }
                }
                queue.add(node.name)
            } else {
                _ = waiting.withLock { $0.order.removeValue(forKey: node.name) }
                if !Self.isSettled(node, ranges: ranges) { queue.add(node.name) }
            }
        case .deleted(let node):
            inFlight.withLock { $0 = $0.filter { $0.value != node.name } }
            let waitingNames = waiting.withLock { state in
                state.order[node.name] = nil
                return state.order.sorted { $0.value < $1.value }.map(\.key)
            }
            // A range freed up: the Nodes that wait try again, oldest first.
            if !node.podCIDRs.isEmpty { for name in waitingNames { queue.add(name) } }
        }
    }

    public func run() async {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.nodes.run() }
                group.addTask {
                    await QueueWorkers(
                        name: "node IPAM controller", queue: self.queue, workers: 1, logger: self.logger,
                        waitForCaches: { await self.nodes.waitForSync() }, process: { try await self.sync($0) }
                    ).run()
                }
            }
        }
    }

    /// The NetworkUnavailable condition the Node should have, or nil when its own is right: a
    /// waiting Node says why; a Node that got its range stops saying CIDRNotAvailable.
    static func wantedCondition(_ node: IPAMNode, ranges: ClusterCIDRRanges) -> (status: String, reason: String, message: String)? {
        let current = node.networkUnavailable
        if node.isWaiting {
            let message = NetworkUnavailable.cidrNotAvailableMessage(clusterCIDR: ranges.clusterCIDR)
            if current?.status == "True" && current?.reason == "CIDRNotAvailable" && current?.message == message { return nil }
            return ("True", "CIDRNotAvailable", message)
        }
        guard current?.status == "True" && current?.reason == "CIDRNotAvailable", let cidr = node.podCIDRs.first else { return nil }
        return ("False", "CIDRAssigned", "pod CIDR \(cidr) assigned by the node IPAM controller")
    }

    /// Whether taint and condition match the Node's range (a Node being deleted is left alone).
    static func isSettled(_ node: IPAMNode, ranges: ClusterCIDRRanges) -> Bool {
        node.isBeingDeleted || (node.hasNetworkUnavailableTaint == node.isWaiting && wantedCondition(node, ranges: ranges) == nil)
    }

    /// Gives a waiting Node a free range if there is one, else makes its taint and condition say
    /// it waits; a Node with a range gets its taint lifted and its condition turned False.
    func sync(_ name: String) async throws {
        guard let live = try await client.get(.nodes, namespace: "", name: name) else {
            _ = waiting.withLock { $0.order.removeValue(forKey: name) }
            return
        }
        let node = try IPAMNode(json: live)
        guard !node.isBeingDeleted else { return }
        let held = nodes.list().flatMap(\.podCIDRs) + inFlight.withLock { Array($0.keys) }
        if node.isWaiting, let cidr = ranges.firstFree(excluding: held) {
            // Ranges go to the Node that has waited longest: that one goes first, this one after.
            if let oldest = oldestWaiting(), oldest != name {
                queue.add(oldest)
                queue.add(name)
                return
            }
            var next = live
            next["spec"]["podCIDR"] = .string(cidr)
            next["spec"]["podCIDRs"] = [.string(cidr)]
            next["spec"]["taints"] = NetworkUnavailable.settingTaint(in: live["spec"]["taints"], present: false)
            // Its resourceVersion makes this a compare-and-swap; a range another Node took
            // meanwhile is refused by the API. Either way a 409 retries with a fresh view.
            _ = try await client.update(.nodes, namespace: "", next, fieldManager: Self.fieldManager)
            inFlight.withLock { $0[cidr] = name }
            logger.info("pod CIDR assigned to a waiting node", metadata: ["node": "\(name)", "podCIDR": "\(cidr)"])
            // The next in line may find a range too.
            _ = waiting.withLock { $0.order.removeValue(forKey: name) }
            if let next = oldestWaiting() { queue.add(next) }
            // Its update event brings it back to turn the condition False.
            return
        }
        try await settle(live, node)
    }

    /// The Node that has waited longest (registered first, then seen waiting first) and, as far
    /// as the cache shows, still waits.
    private func oldestWaiting() -> String? {
        let order = waiting.withLock { $0.order }
        let candidates = order.keys.compactMap { nodes.get($0) }.filter(\.isWaiting)
        return candidates.min { ($0.creationTimestamp, order[$0.name] ?? 0) < ($1.creationTimestamp, order[$1.name] ?? 0) }?.name
    }

    /// Makes the Node's taint (spec) and NetworkUnavailable condition (status subresource) match
    /// its range; each write's event brings the Node back for what is left.
    func settle(_ live: JSON, _ node: IPAMNode) async throws {
        if node.hasNetworkUnavailableTaint != node.isWaiting {
            var next = live
            next["spec"]["taints"] = NetworkUnavailable.settingTaint(in: live["spec"]["taints"], present: node.isWaiting)
            _ = try await client.update(.nodes, namespace: "", next, fieldManager: Self.fieldManager)
        } else if let wanted = Self.wantedCondition(node, ranges: ranges) {
            var next = live
            next["status"]["conditions"] = NetworkUnavailable.settingCondition(
                in: live["status"]["conditions"], status: wanted.status, reason: wanted.reason, message: wanted.message)
            _ = try await client.update(.nodeStatus, namespace: "", next, fieldManager: Self.fieldManager)
        }
    }
}
