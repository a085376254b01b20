import Foundation
import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffClient
import Synchronization

/// kube-controller-manager's taint eviction controller: a pod on a node with a NoExecute taint
/// it does not tolerate is deleted at once; one that tolerates it for `tolerationSeconds` is
/// deleted when they run out (counted from the taint's timeAdded), unless the taint goes first.
/// The pod is marked with the DisruptionTarget condition before its graceful deletion; its
/// controller then replaces it on a node without the taint.
public final class TaintEvictionController: Service, Sendable {
    public static let component = "taint-eviction-controller"

    let client: any ControllerClient
    let nodes: Informer<KubeNode>
    let pods: Informer<Pod>
    let recorder: EventRecorder
    let logger: Logger
    let queue = WorkQueue<String>()
    /// When a NoExecute taint without timeAdded was first seen ("node/key/effect"), to count from.
    let firstSeen = Mutex<[String: Date]>([:])

    public init(context: ControllerContext) {
        client = context.client
        nodes = context.informers.nodes
        pods = context.informers.pods
        recorder = context.recorder
        var logger = context.logger
        logger[metadataKey: "controller"] = "tainteviction"
        self.logger = logger
        pods.indexByNode()
        let (queue, pods, nodes) = (queue, pods, nodes)
        nodes.addHandler { change in
            let (old, new): ([Taint], KubeNode?) =
                switch change {
                case .added(let node): ([], node)
                case .updated(let old, let node): (old.taints, node)
                case .deleted: ([], nil)
                }
            guard let new, Self.noExecute(new.taints) != Self.noExecute(old) else { return }
            for pod in pods.pods(onNode: new.name) { queue.add(pod.key) }
        }
        pods.addHandler { change in
            switch change {
            case .added(let pod), .updated(_, let pod):
                guard let node = pod.spec.nodeName, !node.isEmpty, !pod.isBeingDeleted,
                    let taints = nodes.get(node)?.taints, !Self.noExecute(taints).isEmpty
                else { return }
                queue.add(pod.key)
            case .deleted:
                break
            }
        }
    }

    static func noExecute(_ taints: [Taint]) -> [Taint] { taints.filter { $0.effect == "NoExecute" } }

    public func run() async {
        let (nodes, pods) = (nodes, pods)
        await QueueWorkers(
            name: "taint eviction controller", queue: queue, workers: 2, logger: logger,
            waitForCaches: {
                await nodes.waitForSync()
                await pods.waitForSync()
            }, process: { try await self.sync($0) }
        ).run()
    }

    func sync(_ key: String) async throws {
        guard let pod = pods.get(key), !pod.isBeingDeleted, pod.status.phase?.isFinal != true, let nodeName = pod.spec.nodeName,
            let node = nodes.get(nodeName)
        else { return }
        let tolerations = (pod.json["spec"]["tolerations"].array ?? []).map(Toleration.init)
        let now = Date()
        let verdict = NoExecuteTolerance.judge(tolerations: tolerations, taints: node.taints) { taint in
            if let added = taint.timeAdded.flatMap(Timestamp.parse) { return added }
            return firstSeen.withLock { seen in
                let slot = "\(nodeName)/\(taint.key)/\(taint.effect)"
                if let since = seen[slot] { return since }
                seen[slot] = now
                return now
            }
        }
        switch verdict {
        case .stay:
            return
        case .evict(let deadline) where deadline > now:
            // Looked at again then; a taint removed meanwhile makes that look a no-op.
            queue.add(key, after: .milliseconds(Int64((deadline.timeIntervalSince(now) * 1000).rounded(.up))))
        case .evict, .evictNow:
            try await evict(pod, from: node)
        }
    }

    /// Marks the pod DisruptionTarget (as Kubernetes 1.32) and deletes it gracefully.
    private func evict(_ pod: Pod, from node: KubeNode) async throws {
        var json = pod.json
        var conditions = (json["status"]["conditions"].array ?? []).filter { $0["type"].string != "DisruptionTarget" }
        conditions.append(
            PodCondition(
                type: "DisruptionTarget", status: "True", reason: "DeletionByTaintManager", message: "Taint manager: deleting due to NoExecute taint",
                lastTransitionTime: Timestamp.now()
            ).json)
        json["status"]["conditions"] = .array(conditions)
        do {
            _ = try await client.update(.podStatus, namespace: pod.namespace, json, fieldManager: Self.component)
            try await client.delete(.pods, namespace: pod.namespace, name: pod.name, uid: pod.uid)
        } catch let error as APIError where error.code == 404 {
            return
        }
        logger.info("evicting a pod from a NoExecute-tainted node", metadata: ["pod": "\(pod.key)", "node": "\(node.name)"])
        let involved: JSON = [
            "apiVersion": "v1", "kind": "Pod", "namespace": .string(pod.namespace), "name": .string(pod.name), "uid": .string(pod.uid),
        ]
        recorder.record(
            namespace: pod.namespace,
            EventRecorder.event(
                involved: involved, type: "Normal", reason: "TaintManagerEviction", message: "Marking for deletion Pod \(pod.key)",
                component: Self.component, host: ""))
    }
}
