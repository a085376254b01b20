import Foundation
import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffClient
import Synchronization

/// kube-controller-manager's node lifecycle controller: follows each Node's heartbeats (its
/// Lease in kube-node-lease and its Ready condition); a Node heard from for no longer than
/// `gracePeriod` gets its reported conditions set Unknown ("Kubelet stopped posting node
/// status.") and its pods marked not ready, so Services stop sending them traffic. It keeps the
/// not-ready and unreachable taints (NoSchedule and NoExecute) in step with the Ready condition;
/// the taint eviction controller evicts the pods the NoExecute ones no longer tolerate.
///
/// A heartbeat counts when it changes, on this process's clock: agents' clocks are not trusted.
public final class NodeLifecycleController: Service, Sendable {
    public static let component = "node-lifecycle-controller"
    /// kube-controller-manager's `--node-monitor-grace-period` (Kubernetes 1.32).
    public static let defaultGracePeriod: Duration = .seconds(50)
    /// kube-controller-manager's `--node-monitor-period`.
    public static let defaultMonitorPeriod: Duration = .seconds(5)
    static let unknownReason = "NodeStatusUnknown"
    static let unknownMessage = "Kubelet stopped posting node status."

    /// The last heartbeat seen from a Node, and when this process saw it change.
    struct Heartbeat {
        var readyHeartbeat: String?
        var leaseRenewal: String?
        var observed: ContinuousClock.Instant
    }

    let client: any ControllerClient
    let nodes: Informer<KubeNode>
    let leases: Informer<Lease>
    let pods: Informer<Pod>
    let recorder: EventRecorder
    let logger: Logger
    let gracePeriod: Duration
    let monitorPeriod: Duration
    let queue = WorkQueue<String>()
    let heartbeats = Mutex<[String: Heartbeat]>([:])

    public init(
        context: ControllerContext, gracePeriod: Duration = NodeLifecycleController.defaultGracePeriod,
        monitorPeriod: Duration = NodeLifecycleController.defaultMonitorPeriod
    ) {
        client = context.client
        nodes = context.informers.nodes
        leases = context.informers.leases
        pods = context.informers.pods
        recorder = context.recorder
        var logger = context.logger
        logger[metadataKey: "controller"] = "nodelifecycle"
        self.logger = logger
        self.gracePeriod = gracePeriod
        self.monitorPeriod = monitorPeriod
        pods.indexByNode()
        nodes.addHandler { [weak self] change in
            guard let self else { return }
            switch change {
            case .added(let node), .updated(_, let node):
                heard(from: node.name, .ready(node.condition("Ready")?.lastHeartbeatTime))
                queue.add(node.name)
            case .deleted(let node):
                _ = heartbeats.withLock { $0.removeValue(forKey: node.name) }
            }
        }
        leases.addHandler { [weak self] change in
            guard let self else { return }
            switch change {
            case .added(let lease), .updated(_, let lease):
                guard lease.metadata.namespace == Lease.nodeLeaseNamespace else { return }
                heard(from: lease.metadata.name, .lease(lease.renewTime))
            case .deleted:
                break
            }
        }
    }

    /// What an agent refreshes to say it is alive.
    enum Signal {
        /// The Ready condition's lastHeartbeatTime.
        case ready(String?)
        /// The Lease's renewTime.
        case lease(String?)
    }

    /// Notes a heartbeat of `node`; only a changed one moves its observed time.
    func heard(from node: String, _ signal: Signal) {
        heartbeats.withLock { heartbeats in
            var last = heartbeats[node] ?? Heartbeat(observed: .now)
            switch signal {
            case .ready(let time) where time != last.readyHeartbeat:
                last.readyHeartbeat = time
                last.observed = .now
            case .lease(let time) where time != last.leaseRenewal:
                last.leaseRenewal = time
                last.observed = .now
            default:
                break
            }
            heartbeats[node] = last
        }
    }

    public func run() async {
        let (nodes, leases, pods, queue) = (nodes, leases, pods, queue)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await QueueWorkers(
                    name: "node lifecycle controller", queue: queue, workers: 1, logger: self.logger,
                    waitForCaches: {
                        await nodes.waitForSync()
                        await leases.waitForSync()
                        await pods.waitForSync()
                    }, process: { try await self.sync($0) }
                ).run()
            }
            group.addTask {
                // Silence raises no event: every node is looked at each period.
                await cancelWhenGracefulShutdown {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: self.monitorPeriod)
                        for node in nodes.list() { queue.add(node.name) }
                    }
                }
            }
        }
    }

    /// Looks at one Node: conditions Unknown if it has been silent too long, taints in step with Ready.
    func sync(_ name: String) async throws {
        guard var node = nodes.get(name) else { return }
        heard(from: name, .ready(node.condition("Ready")?.lastHeartbeatTime))
        let silent = heartbeats.withLock { ContinuousClock.now - ($0[name]?.observed ?? .now) }
        if silent > gracePeriod, NodeCondition.reportedTypes.contains(where: { node.condition($0)?.status != "Unknown" }) {
            node = try await markUnknown(node)
        }
        try await keepTaints(of: node)
        if node.readyStatus == "Unknown" { try await markPodsNotReady(on: node.name) }
    }

    /// Sets every condition the agent reports to Unknown, as Kubernetes does for a silent node.
    private func markUnknown(_ cached: KubeNode) async throws -> KubeNode {
        guard var json = try await client.get(.nodes, namespace: "", name: cached.name) else { return cached }
        let node = try KubeNode(json: json)
        let now = Timestamp.now()
        var conditions = node.conditions
        for type in NodeCondition.reportedTypes {
            let unknown = NodeCondition(type: type, status: "Unknown", reason: Self.unknownReason, message: Self.unknownMessage, lastTransitionTime: now)
            if let index = conditions.firstIndex(where: { $0.type == type }) {
                guard conditions[index].status != "Unknown" else { continue }
                conditions[index].status = "Unknown"
                conditions[index].reason = unknown.reason
                conditions[index].message = unknown.message
                conditions[index].lastTransitionTime = now
            } else {
                conditions.append(unknown)
            }
        }
        json["status"]["conditions"] = .array(conditions.map(\.json))
        let stored = try await client.update(.nodeStatus, namespace: "", json, fieldManager: Self.component)
        logger.warning("node stopped posting status; its conditions are Unknown", metadata: ["node": "\(node.name)"])
        record(node, reason: "NodeNotReady", message: "Node \(node.name) status is now: NodeNotReady")
        return try KubeNode(json: stored)
    }

    /// The not-ready (Ready False) or unreachable (Ready Unknown) taints, NoSchedule and NoExecute,
    /// and neither once the node is Ready again; and, as Kubernetes' TaintNodesByCondition, the
    /// memory-, disk- and pid-pressure NoSchedule taints while the agent reports that pressure
    /// True. A NoExecute taint keeps its timeAdded while it stays.
    private func keepTaints(of cached: KubeNode) async throws {
        let wanted = Self.wantedTaints(of: cached)
        let current = cached.taints.filter(Self.isManaged)
        let inStep = current.count == wanted.count && wanted.allSatisfy { want in current.contains { $0.sameSlot(as: want) } }
        guard !inStep else { return }
        guard var json = try await client.get(.nodes, namespace: "", name: cached.name) else { return }
        let stored = try KubeNode(json: json)
        guard Self.wantedTaints(of: stored) == wanted else {
            // The agent spoke meanwhile: its update's event brings the node back here.
            return
        }
        let now = Timestamp.now()
        var taints = stored.taints.filter { taint in !Self.isManaged(taint) || wanted.contains { $0.sameSlot(as: taint) } }
        for want in wanted where !taints.contains(where: { $0.sameSlot(as: want) }) {
            taints.append(Taint(key: want.key, effect: want.effect, timeAdded: want.effect == "NoExecute" ? now : nil))
        }
        json["spec"]["taints"] = taints.isEmpty ? .null : .array(taints.map(\.json))
        _ = try await client.update(.nodes, namespace: "", json, fieldManager: Self.component)
        logger.info(
            "node taints follow its conditions",
            metadata: ["node": "\(stored.name)", "ready": "\(stored.readyStatus ?? "none")", "taints": "\(wanted.map(\.key))"])
    }

    /// The condition each pressure taint follows, as TaintNodesByCondition pairs them.
    static let pressureTaints: [(condition: String, key: String)] = [
        ("MemoryPressure", Taint.memoryPressureKey), ("DiskPressure", Taint.diskPressureKey), ("PIDPressure", Taint.pidPressureKey),
    ]

    /// The taints this controller owns that `node`'s conditions call for.
    static func wantedTaints(of node: KubeNode) -> [Taint] {
        let key: String? =
            switch node.readyStatus {
            case "False": Taint.notReadyKey
            case "Unknown": Taint.unreachableKey
            default: nil
            }
        var wanted = key.map { key in ["NoSchedule", "NoExecute"].map { Taint(key: key, effect: $0) } } ?? []
        for (condition, key) in pressureTaints where node.condition(condition)?.status == "True" {
            wanted.append(Taint(key: key, effect: "NoSchedule"))
        }
        return wanted
    }

    /// Whether this controller adds and removes `taint`; others' taints are left alone.
    static func isManaged(_ taint: Taint) -> Bool {
        if [Taint.notReadyKey, Taint.unreachableKey].contains(taint.key) { return ["NoSchedule", "NoExecute"].contains(taint.effect) }
        return pressureTaints.contains { $0.key == taint.key } && taint.effect == "NoSchedule"
    }

    /// Sets the Ready condition of the node's running pods False, as Kubernetes' MarkPodsNotReady:
    /// endpoints stop listing pods nobody can vouch for.
    private func markPodsNotReady(on node: String) async throws {
        for pod in pods.pods(onNode: node) where pod.status.phase?.isFinal != true {
            var conditions = pod.json["status"]["conditions"].array ?? []
            let index = conditions.firstIndex { $0["type"].string == "Ready" }
            guard index.map({ conditions[$0]["status"].string != "False" }) ?? false, let index else { continue }
            conditions[index]["status"] = "False"
            conditions[index]["lastTransitionTime"] = .string(Timestamp.now())
            var json = pod.json
            json["status"]["conditions"] = .array(conditions)
            do {
                _ = try await client.update(.podStatus, namespace: pod.namespace, json, fieldManager: Self.component)
            } catch let error as APIError where error.code == 404 {
                continue
            }
        }
    }

    private func record(_ node: KubeNode, reason: String, message: String) {
        let involved: JSON = ["apiVersion": "v1", "kind": "Node", "name": .string(node.name), "uid": .string(node.name)]
        recorder.record(
            namespace: "default",
            EventRecorder.event(involved: involved, type: "Normal", reason: reason, message: message, component: Self.component, host: ""))
    }
}
