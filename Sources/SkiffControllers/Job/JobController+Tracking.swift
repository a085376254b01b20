import Foundation
import SkiffAPI
import SkiffClient

extension JobController {
    /// One sync of a Job that has not finished. The order of its writes is what makes the counts
    /// exact across restarts: an ended pod's UID goes into `status.uncountedTerminatedPods` (one
    /// status write) before its finalizer is removed, and moves into `succeeded`/`failed` (a second
    /// write) only after. A pod still holding the finalizer and not listed is new; a listed pod is
    /// never listed twice; a listed pod without the finalizer (or gone) is counted exactly then.
    func track(_ job: Job, pods owned: [Pod]) async throws {
        let key = job.key
        let now = now()
        let stamp = Timestamp.string(now)
        let removing = finalizerRemovals.withLock { $0[key] ?? [] }
        var ledger = JobLedger(job: job)
        let outcomes = owned.map { ($0, JobPodOutcome($0, in: job)) }

        // 1. Pods that ended and are still tracked: record them (at most once).
        var toRelease: [Pod] = []
        var failJobMessage: String?
        var newSucceeded = 0
        var newFailed = 0
        for (pod, outcome) in outcomes where outcome.isFinished && pod.hasJobTrackingFinalizer && !removing.contains(pod.uid) {
            toRelease.append(pod)
            switch ledger.record(pod, outcome: outcome) {
            case .succeeded: newSucceeded += 1
            case .failed(let failJob):
                newFailed += 1
                if let failJob, failJobMessage == nil { failJobMessage = failJob }
            case .notCounted: break
            }
        }
        var status = ledger.status
        let active = outcomes.filter { $0.1 == .active }.map(\.0)
        status.ready = active.filter(\.isReady).count
        status.terminating = owned.filter { $0.isBeingDeleted && $0.status.phase?.isFinal != true }.count
        let record = backoffRecords.withLock { records in
            let updated = (records[key] ?? JobBackoff.Record()).updated(succeeded: newSucceeded, failed: newFailed, now: now)
            records[key] = updated
            return updated
        }

        // 2. Has the Job succeeded or failed? Kubernetes' order: policy, backoff, indexes, deadline, success.
        var requeue: Duration?
        if !ledger.hasTarget {
            if let message = failJobMessage {
                status.setCondition(.failureTarget, status: "True", reason: "PodFailurePolicy", message: message, now: stamp)
            } else if job.spec.backoffLimitPerIndex == nil, ledger.failed + Self.restarts(active, job) > job.spec.backoffLimit {
                status.setCondition(
                    .failureTarget, status: "True", reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit", now: stamp)
            } else if let maximum = job.spec.maxFailedIndexes, ledger.failedIndexes.count > maximum {
                status.setCondition(
                    .failureTarget, status: "True", reason: "MaxFailedIndexesExceeded",
                    message: "Job has exceeded the specified maximal number of failed indexes", now: stamp)
            } else if let left = Self.deadlineLeft(job, status: status, now: now), left <= .zero {
                status.setCondition(
                    .failureTarget, status: "True", reason: "DeadlineExceeded", message: "Job was active longer than specified deadline", now: stamp)
            } else if let verdict = ledger.verdict(active: active.count) {
                switch verdict {
                case .succeeded:
                    status.setCondition(
                        .successCriteriaMet, status: "True", reason: "CompletionsReached", message: "Reached expected number of succeeded pods", now: stamp)
                case .failedIndexes:
                    status.setCondition(.failureTarget, status: "True", reason: "FailedIndexes", message: "Job has failed indexes", now: stamp)
                }
            } else if let left = Self.deadlineLeft(job, status: status, now: now) {
                requeue = left
            }
        }

        // 3. Pods towards what the Job wants now.
        let finishing = status.condition(.failureTarget)?.status == "True" || status.condition(.successCriteriaMet)?.status == "True"
        var activeCount = active.count
        if finishing || job.spec.suspend {
            // A finishing or suspended Job keeps no pods running.
            try await delete(active, of: job, expect: false)
            activeCount = 0
            if job.spec.suspend && !finishing && status.condition(.suspended)?.status != "True" {
                status.setCondition(.suspended, status: "True", reason: "JobSuspended", message: "Job suspended", now: stamp)
                podControl.record(job.owner, reason: "Suspended", message: "Job suspended")
            }
        } else {
            if status.condition(.suspended)?.status == "True" {
                // Resumed: the active deadline counts from now.
                status.setCondition(.suspended, status: "False", reason: "JobResumed", message: "Job resumed", now: stamp)
                status.startTime = stamp
                podControl.record(job.owner, reason: "Resumed", message: "Job resumed")
            }
            if status.startTime == nil { status.startTime = stamp }
            if expectations.isSatisfied(key) && cacheShowsStatusWrites(job) {
                let change = try await manage(job, ledger: ledger, outcomes: outcomes, record: record, now: now)
                activeCount += change.delta
                if let wait = change.requeue { requeue = min(requeue ?? wait, wait) }
            } else {
                // The pod and Job events that satisfy them sync the Job again; this is the backstop.
                requeue = min(requeue ?? .seconds(1), .seconds(1))
            }
        }
        status.active = activeCount

        // 4. Record the newly ended pods before releasing any of them.
        var current = job
        if status != job.status {
            let stored = try await client.update(.jobStatus, namespace: job.metadata.namespace, job.json(with: status), fieldManager: Self.component)
            statusWritten(stored, key: key)
            current = try Job(json: stored)
        }

        // 5. Release them, then count those released.
        var released = removing
        for pod in toRelease where try await releaseFinalizer(pod, job: key) {
            released.insert(pod.uid)
        }
        let tracked = Set(owned.filter(\.hasJobTrackingFinalizer).map(\.uid)).subtracting(released)
        var counted = current.status
        let succeededNow = counted.uncountedSucceeded.filter { !tracked.contains($0) }
        let failedNow = counted.uncountedFailed.filter { !tracked.contains($0) }
        counted.uncountedSucceeded.removeAll { !tracked.contains($0) }
        counted.uncountedFailed.removeAll { !tracked.contains($0) }
        counted.succeeded += succeededNow.count
        counted.failed += failedNow.count

        // 6. Finished once nothing is left running or uncounted.
        if finishing && tracked.isEmpty && counted.uncountedSucceeded.isEmpty && counted.uncountedFailed.isEmpty {
            counted.active = 0
            counted.ready = 0
            if let target = counted.condition(.failureTarget), target.status == "True" {
                let reason = target.reason ?? "BackoffLimitExceeded"
                counted.setCondition(.failed, status: "True", reason: reason, message: target.message ?? "", now: stamp)
                podControl.record(job.owner, type: "Warning", reason: reason, message: target.message ?? "")
            } else {
                counted.setCondition(.complete, status: "True", reason: "CompletionsReached", message: "Reached expected number of succeeded pods", now: stamp)
                counted.completionTime = stamp
                podControl.record(job.owner, reason: "Completed", message: "Job completed")
            }
        }
        if counted != current.status {
            let stored = try await client.update(.jobStatus, namespace: job.metadata.namespace, current.json(with: counted), fieldManager: Self.component)
            statusWritten(stored, key: key)
        }
        if let requeue { workers.queue.add(key, after: max(requeue, .milliseconds(10))) }
    }

    /// Container restarts of the active pods: with restartPolicy OnFailure they are the failures.
    static func restarts(_ active: [Pod], _ job: Job) -> Int {
        guard job.spec.template.json["spec"]["restartPolicy"].string == "OnFailure" else { return 0 }
        return active.reduce(0) { $0 + $1.restartCount }
    }

    /// Time left before `activeDeadlineSeconds` passes (negative or zero: it has); nil without a
    /// deadline, or while suspended (the clock restarts on resume).
    static func deadlineLeft(_ job: Job, status: JobStatus, now: Date) -> Duration? {
        guard !job.spec.suspend, let seconds = job.spec.activeDeadlineSeconds, let started = status.startTime.flatMap(Timestamp.parse) else { return nil }
        let left = started.addingTimeInterval(Double(seconds)).timeIntervalSince(now)
        return .milliseconds(Int64((left * 1000).rounded(.up)))
    }
}
