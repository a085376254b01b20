import Logging
import SkiffAPI
import SkiffSystem

/// Keeps one worker per pod bound to this node: creates workers for new pods, forwards updates
/// and container exits, and re-adopts pods from the state a previous agent left.
actor PodManager {
    let context: AgentContext
    private var workers: [String: PodWorker] = [:]
    /// Container id → pod uid, for exit events.
    private var containerOwners: [String: String] = [:]
    /// Pods that cannot be decoded, by uid, with the error last reported for each.
    private var rejected: [String: String] = [:]
    /// The node's pressure conditions that are True, as the eviction manager last set them:
    /// new pods are admitted against them.
    private var pressure: Set<NodePressureType> = []

    init(context: AgentContext) {
        self.context = context
    }

    var podCount: Int { workers.count }

    func worker(uid: String) -> PodWorker? { workers[uid] }

    func allWorkers() -> [PodWorker] { Array(workers.values) }

    /// The pod as the API sent it (ADDED/MODIFIED, or from a list).
    func apply(_ pod: Pod) async {
        guard !pod.uid.isEmpty else { return }
        if let worker = workers[pod.uid] {
            await worker.update(pod)
            return
        }
        // A finished pod this agent no longer knows about has nothing left to run.
        if pod.status.phase?.isFinal == true && !pod.isBeingDeleted { return }
        let worker = makeWorker(pod)
        workers[pod.uid] = worker
        // Only pods that have not started anywhere yet: one a previous agent ran keeps running.
        if pod.status.phase == nil || pod.status.phase == .pending, let message = PressureAdmission.rejection(of: pod, under: pressure) {
            await worker.refuse(message: message)
            return
        }
        await worker.update(pod)
    }

    func setPressure(_ pressure: Set<NodePressureType>) {
        self.pressure = pressure
    }

    /// A pod bound here that the model cannot decode (an enum value the API server did not
    /// check, a wrong type): a Warning event says why it will not start, once per distinct error.
    func reject(_ object: JSON, because error: JSONShapeError) {
        let identity = Pod.identity(of: object)
        let message = "Error: cannot run the pod: \(error)"
        guard rejected[identity.uid] != message else { return }
        rejected[identity.uid] = message
        context.logger.warning("pod cannot be decoded", metadata: ["pod": "\(identity.namespace)/\(identity.name)", "error": "\(error)"])
        context.status.record(
            PodEventSubject(namespace: identity.namespace, name: identity.name, uid: identity.uid, fieldPath: nil),
            type: "Warning", reason: "Failed", message: message)
    }

    func remove(uid: String) async {
        rejected[uid] = nil
        await workers[uid]?.markRemoved()
    }

    /// After a relist: pods we run that the API no longer has are terminated.
    func reconcile(present uids: Set<String>) async {
        rejected = rejected.filter { uids.contains($0.key) }
        for (uid, worker) in workers where !uids.contains(uid) {
            await worker.markRemoved()
        }
    }

    func containerExited(id: String) async {
        for worker in workers.values {
            await worker.containerExited(id: id)
        }
    }

    private func makeWorker(_ pod: Pod) -> PodWorker {
        PodWorker(pod: pod, context: context) { [weak self] uid in
            Task { await self?.forget(uid: uid) }
        }
    }

    private func forget(uid: String) {
        workers.removeValue(forKey: uid)
    }

    /// Loads every pod's saved state (pods that kept running while the agent was away).
    func restore() async {
        let directory = context.configuration.podsDirectory
        for uid in (try? FileSystem.listDirectory(directory)) ?? [] {
            guard let saved = PodRecord.load(podsDirectory: directory, uid: uid) else { continue }
            let worker = makeWorker(saved.pod)
            workers[uid] = worker
            await worker.restore(from: saved)
            context.logger.info("re-adopted pod", metadata: ["uid": "\(uid)"])
        }
    }
}
