import Foundation
import SkiffAPI
import SkiffClient

extension CronJobController {
    /// `status.active` brought in line with the CronJob's Jobs: finished ones leave it (a
    /// completed one sets `lastSuccessfulTime`), running ones it does not list join it (a Job
    /// made with `kubectl create job --from=cronjob/…`), and listed ones that no longer exist go.
    func reconcileActive(_ cronJob: CronJob, children: [Job]) async throws -> CronJobStatus {
        var status = cronJob.status
        for job in children {
            let listed = status.activeUIDs.contains(job.metadata.uid)
            if job.isFinished {
                if listed {
                    status.active.removeAll { $0["uid"].string == job.metadata.uid }
                    let condition = job.condition(.complete) != nil ? "Complete" : "Failed"
                    record(cronJob, reason: "SawCompletedJob", message: "Saw completed job: \(job.metadata.name), condition: \(condition)")
                }
                if job.condition(.complete) != nil, let completed = job.status.completionTime ?? job.condition(.complete)?.lastTransitionTime,
                    Self.isLater(completed, than: status.lastSuccessfulTime)
                {
                    status.lastSuccessfulTime = completed
                }
            } else if !listed && !job.metadata.isBeingDeleted {
                status.active.append(Self.reference(to: job.json))
            }
        }
        let cached = Set(children.map(\.metadata.uid))
        for reference in status.active where !cached.contains(reference["uid"].string ?? "") {
            // Not in the cache: gone, unless the cache is behind the Job just created.
            let name = reference["name"].string ?? ""
            if let stored = try await client.get(.jobs, namespace: cronJob.metadata.namespace, name: name),
                stored["metadata"]["uid"] == reference["uid"]
            {
                continue
            }
            status.active.removeAll { $0["uid"] == reference["uid"] }
            record(cronJob, reason: "MissingJob", message: "Active job went missing: \(name)")
        }
        return status
    }

    /// Deletes the oldest finished Jobs beyond `successfulJobsHistoryLimit` and
    /// `failedJobsHistoryLimit` (their pods go with them through the garbage collector).
    func cleanUpHistory(_ cronJob: CronJob, children: [Job]) async throws {
        func oldestFirst(_ jobs: [Job]) -> [Job] {
            jobs.sorted { ($0.status.startTime ?? $0.metadata.creationTimestamp ?? "") < ($1.status.startTime ?? $1.metadata.creationTimestamp ?? "") }
        }
        let succeeded = oldestFirst(children.filter { $0.condition(.complete) != nil })
        let failed = oldestFirst(children.filter { $0.condition(.failed) != nil })
        let surplus =
            succeeded.prefix(max(0, succeeded.count - cronJob.spec.successfulJobsHistoryLimit))
            + failed.prefix(max(0, failed.count - cronJob.spec.failedJobsHistoryLimit))
        for job in surplus where !job.metadata.isBeingDeleted { try await deleteJob(job.metadata.name, uid: job.metadata.uid, of: cronJob) }
    }

    /// Creates the Job for the run at `scheduled`, unless it exists already or the concurrency
    /// policy forbids it; Replace first deletes the active Jobs.
    func start(_ cronJob: CronJob, at scheduled: Int64, status: inout CronJobStatus) async throws {
        let namespace = cronJob.metadata.namespace
        let name = CronRuns.jobName(cronJob: cronJob.metadata.name, scheduled: scheduled)
        let scheduledText = Timestamp.string(Date(timeIntervalSince1970: TimeInterval(scheduled)))
        if jobs.get("\(namespace)/\(name)") != nil {
            // This run was started (maybe by a sync whose status write was lost).
            if Self.isLater(scheduledText, than: status.lastScheduleTime) { status.lastScheduleTime = scheduledText }
            return
        }
        switch cronJob.spec.concurrencyPolicy {
        case .allow: break
        case .forbid:
            guard status.active.isEmpty else {
                let first = reportedSkips.withLock { reported in
                    defer { reported[cronJob.key] = scheduled }
                    return reported[cronJob.key] != scheduled
                }
                if first {
                    record(cronJob, reason: "JobAlreadyActive", message: "Not starting job because prior execution is running and concurrency policy is Forbid")
                }
                return
            }
        case .replace:
            for reference in status.active {
                try await deleteJob(reference["name"].string ?? "", uid: reference["uid"].string, of: cronJob)
            }
            status.active = []
        }
        do {
            let created = try await client.create(
                .jobs, namespace: namespace, Self.job(for: cronJob, name: name, scheduled: scheduledText), fieldManager: Self.component)
            record(cronJob, reason: "SuccessfulCreate", message: "Created job \(name)")
            status.active.append(Self.reference(to: created))
        } catch let error as APIError where error.code == 409 {
            // Created meanwhile (the cache had not shown it): the run is started.
        } catch {
            record(cronJob, type: "Warning", reason: "FailedCreate", message: "Error creating job: \(error)")
            throw error
        }
        status.lastScheduleTime = scheduledText
    }

    private func deleteJob(_ name: String, uid: String?, of cronJob: CronJob) async throws {
        do {
            // Background, as Kubernetes: the Job goes now, the garbage collector takes its pods.
            try await client.delete(.jobs, namespace: cronJob.metadata.namespace, name: name, options: DeleteOptions(uid: uid, propagationPolicy: .background))
            record(cronJob, reason: "SuccessfulDelete", message: "Deleted job \(name)")
        } catch let error as APIError where error.code == 404 || error.code == 409 {
            // Already gone, or a different Job of that name.
        }
    }

    /// The Job of one run: the template's metadata and spec, named for the scheduled time,
    /// annotated with it, controlled by the CronJob.
    static func job(for cronJob: CronJob, name: String, scheduled: String) -> JSON {
        var metadata = cronJob.spec.jobTemplate["metadata"].isNull ? JSON.emptyObject : cronJob.spec.jobTemplate["metadata"]
        metadata["name"] = .string(name)
        metadata["namespace"] = .string(cronJob.metadata.namespace)
        var annotations = metadata["annotations"].stringMap
        annotations[CronJob.scheduledTimestampAnnotation] = scheduled
        metadata["annotations"] = JSON(stringMap: annotations)
        let owner = Pod.OwnerReference(apiVersion: "batch/v1", kind: "CronJob", name: cronJob.metadata.name, uid: cronJob.metadata.uid)
        metadata["ownerReferences"] = [owner.json]
        return ["apiVersion": "batch/v1", "kind": "Job", "metadata": metadata, "spec": cronJob.spec.jobTemplate["spec"]]
    }

    /// An entry of `status.active`.
    static func reference(to job: JSON) -> JSON {
        [
            "apiVersion": "batch/v1", "kind": "Job", "namespace": job["metadata"]["namespace"], "name": job["metadata"]["name"],
            "uid": job["metadata"]["uid"], "resourceVersion": job["metadata"]["resourceVersion"],
        ]
    }

    /// Whether RFC 3339 time `time` is after `other` (or `other` is unset).
    static func isLater(_ time: String, than other: String?) -> Bool {
        guard let other else { return true }
        guard let a = Timestamp.parse(time), let b = Timestamp.parse(other) else { return time > other }
        return a > b
    }
}
