import Foundation
import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffClient
import Synchronization

/// kube-controller-manager's job controller: runs a Job's pods to completion. Each sync reads the
/// informers' caches and (1) accounts for pods that ended — recorded first in
/// `status.uncountedTerminatedPods`, then released from the tracking finalizer, then counted —
/// (2) decides whether the Job has succeeded or failed (backoffLimit, per-index limits, the pod
/// failure policy, activeDeadlineSeconds), (3) creates or deletes pods towards the active count
/// it wants, with back-off after failures, and (4) deletes finished Jobs past their TTL.
public final class JobController: Service, Sendable {
    /// The field manager of its writes and the source of its events.
    public static let component = "job-controller"

    let client: any ControllerClient
    let jobs: Informer<Job>
    let pods: Informer<Pod>
    let podControl: PodControl
    let logger: Logger
    let backoff: JobBackoff
    let now: @Sendable () -> Date
    let workers: SyncWorkers
    /// Pod creations and deletions in flight, by Job key.
    let expectations = ControllerExpectations()
    /// By Job key: pods whose finalizer this controller removed, until the pod cache shows it gone.
    /// A stale cache would otherwise show such a pod ended and still tracked, and count it again.
    let finalizerRemovals = Mutex<[String: Set<String>]>([:])
    /// By Job key: the resourceVersion of the controller's last status write. Until the cache
    /// shows it, the cached Job's counts are behind the pods' (whose finalizers are gone), and
    /// acting on them would start pods for work already done.
    let statusWrites = Mutex<[String: Int64]>([:])
    /// By Job key: failures since the last success, for the back-off.
    let backoffRecords = Mutex<[String: JobBackoff.Record]>([:])

    public init(context: ControllerContext, backoff: JobBackoff = JobBackoff(), now: @escaping @Sendable () -> Date = { Date() }) {
        client = context.client
        jobs = context.informers.jobs
        pods = context.informers.pods
        podControl = context.podControl(component: Self.component)
        var logger = context.logger
        logger[metadataKey: "controller"] = "job"
        self.logger = logger
        self.backoff = backoff
        self.now = now
        workers = SyncWorkers(name: "job controller", workers: 4, logger: logger)
        jobs.addHandler { [workers] change in
            switch change {
            case .added(let job), .deleted(let job): workers.enqueue(job.key)
            case .updated(let old, let new): if old != new { workers.enqueue(new.key) }
            }
        }
        pods.addHandler { [self] change in
            switch change {
            case .added(let pod): podChanged(old: nil, new: pod)
            case .updated(let old, let new): if old != new { podChanged(old: old, new: new) }
            case .deleted(let pod):
                guard let key = Job.key(controlling: pod) else { return }
                expectations.deletionObserved(key, uid: pod.uid)
                finalizerRemovalObserved(key, uid: pod.uid)
                workers.enqueue(key)
            }
        }
    }

    private func podChanged(old: Pod?, new pod: Pod) {
        guard let key = Job.key(controlling: pod) else { return }
        if old == nil { expectations.creationObserved(key) }
        if pod.isBeingDeleted && old?.isBeingDeleted != true { expectations.deletionObserved(key, uid: pod.uid) }
        if !pod.hasJobTrackingFinalizer { finalizerRemovalObserved(key, uid: pod.uid) }
        workers.enqueue(key)
    }

    private func finalizerRemovalObserved(_ key: String, uid: String) {
        finalizerRemovals.withLock { removals in
            guard removals[key]?.remove(uid) != nil, removals[key]?.isEmpty == true else { return }
            removals[key] = nil
        }
    }

    public func run() async {
        await cancelWhenGracefulShutdown {
            await self.jobs.waitForSync()
            await self.pods.waitForSync()
            guard !Task.isCancelled else { return }
            await self.workers.run { key in try await self.sync(key) }
        }
    }

    /// Brings the Job `key` (`namespace/name`) one step closer to done.
    func sync(_ key: String) async throws {
        guard let job = jobs.get(key) else {
            expectations.forget(key)
            backoffRecords.withLock { $0[key] = nil }
            statusWrites.withLock { $0[key] = nil }
            finalizerRemovals.withLock { $0[key] = nil }
            try await releaseOrphans(of: key)
            return
        }
        let owned = pods.objects(controlledBy: job.metadata.uid)
        if job.metadata.isBeingDeleted {
            // Its pods go with it; nothing may hold them.
            for pod in owned where pod.hasJobTrackingFinalizer { _ = try await releaseFinalizer(pod, job: key) }
            return
        }
        if job.isFinished {
            for pod in owned where pod.hasJobTrackingFinalizer { _ = try await releaseFinalizer(pod, job: key) }
            try await expireIfDue(job)
            return
        }
        try await track(job, pods: owned)
    }

    /// Whether the cached `job` shows the controller's last status write (always, when resource
    /// versions are not numbers).
    func cacheShowsStatusWrites(_ job: Job) -> Bool {
        statusWrites.withLock { writes in
            guard let written = writes[job.key], let cached = job.metadata.resourceVersion.flatMap({ Int64($0) }) else { return true }
            if cached >= written { writes[job.key] = nil }
            return cached >= written
        }
    }

    /// Notes a status write's resourceVersion (from the stored object `json`).
    func statusWritten(_ json: JSON, key: String) {
        guard let version = json["metadata"]["resourceVersion"].string.flatMap({ Int64($0) }) else { return }
        statusWrites.withLock { $0[key] = max($0[key] ?? 0, version) }
    }

    /// Releases the pods still tracked for a Job that no longer exists (deleted while its pods
    /// ran): the garbage collector deletes them, and the finalizer must not keep them forever.
    private func releaseOrphans(of key: String) async throws {
        let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return }
        for pod in pods.objects(in: parts[0]) where pod.hasJobTrackingFinalizer {
            guard Job.key(controlling: pod) == key else { continue }
            _ = try await releaseFinalizer(pod, job: key)
        }
    }

    /// Removes the tracking finalizer from `pod`; true once it is gone (or the pod is), false when
    /// the pod kept changing under three attempts.
    func releaseFinalizer(_ pod: Pod, job key: String) async throws -> Bool {
        var current = pod.json
        for attempt in 0..<3 {
            let finalizers = (current["metadata"]["finalizers"].array ?? []).filter { $0.string != Job.trackingFinalizer }
            if finalizers.count == (current["metadata"]["finalizers"].array ?? []).count { return true }
            current["metadata"]["finalizers"] = finalizers.isEmpty ? .null : .array(finalizers)
            do {
                _ = try await client.update(.pods, namespace: pod.namespace, current, fieldManager: Self.component)
                // Until the cache shows it, this pod must not be taken for a tracked one.
                finalizerRemovals.withLock { _ = $0[key, default: []].insert(pod.uid) }
                return true
            } catch let error as APIError where error.code == 404 {
                return true
            } catch let error as APIError where error.code == 409 && attempt < 2 {
                // The agent wrote the pod's status meanwhile: take the stored pod and try again.
                guard let fresh = try await client.get(.pods, namespace: pod.namespace, name: pod.name),
                    fresh["metadata"]["uid"].string == pod.uid
                else { return true }
                current = fresh
            }
        }
        return false
    }

    /// Deletes a finished Job whose `ttlSecondsAfterFinished` has passed (background propagation:
    /// the garbage collector deletes its pods); otherwise syncs it again when it will have.
    private func expireIfDue(_ job: Job) async throws {
        guard let ttl = job.spec.ttlSecondsAfterFinished else { return }
        let finished = job.status.completionTime ?? job.condition(.failed)?.lastTransitionTime ?? job.condition(.complete)?.lastTransitionTime
        guard let finished, let finishedAt = Timestamp.parse(finished) else { return }
        let left = finishedAt.addingTimeInterval(Double(ttl)).timeIntervalSince(now())
        if left > 0 {
            workers.queue.add(job.key, after: .milliseconds(Int64((left * 1000).rounded(.up))))
            return
        }
        do {
            try await client.delete(
                .jobs, namespace: job.metadata.namespace, name: job.metadata.name,
                options: DeleteOptions(uid: job.metadata.uid, propagationPolicy: .background))
            logger.debug("deleted finished job past its TTL", metadata: ["job": "\(job.key)"])
        } catch let error as APIError where error.code == 404 || error.code == 409 {
            // Gone already, or replaced by a new Job of the same name.
        }
    }
}
