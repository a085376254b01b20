import Foundation
import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffClient
import Synchronization

/// kube-controller-manager's cronjob controller (v2): for each CronJob, keeps `status.active` in
/// step with its Jobs, deletes finished Jobs past the history limits, and at each scheduled time
/// creates a Job named after that time — the most recent one owed, so runs missed while the
/// server was down are caught up once, within `startingDeadlineSeconds`. The sync then queues
/// the CronJob again for its next scheduled time.
public final class CronJobController: Service, Sendable {
    public static let component = "cronjob-controller"

    let client: any ControllerClient
    let cronJobs: Informer<CronJob>
    let jobs: Informer<Job>
    let recorder: EventRecorder
    let logger: Logger
    let now: @Sendable () -> Date
    let workers: SyncWorkers
    /// By CronJob key: the scheduled time last reported as skipped under Forbid, so the event is
    /// posted once per run, not on every change of the active Job.
    let reportedSkips = Mutex<[String: Int64]>([:])

    public init(context: ControllerContext, now: @escaping @Sendable () -> Date = { Date() }) {
        client = context.client
        cronJobs = context.informers.cronJobs
        jobs = context.informers.jobs
        recorder = context.recorder
        var logger = context.logger
        logger[metadataKey: "controller"] = "cronjob"
        self.logger = logger
        self.now = now
        workers = SyncWorkers(name: "cronjob controller", workers: 2, logger: logger)
        cronJobs.addHandler { [workers] change in
            switch change {
            case .added(let cronJob), .deleted(let cronJob): workers.enqueue(cronJob.key)
            case .updated(let old, let new): if old != new { workers.enqueue(new.key) }
            }
        }
        jobs.addHandler { [workers] change in
            switch change {
            case .added(let job), .deleted(let job), .updated(_, let job):
                guard let ref = job.metadata.controllerRef, ref.kind == "CronJob" else { return }
                workers.enqueue("\(job.metadata.namespace)/\(ref.name)")
            }
        }
    }

    public func run() async {
        await cancelWhenGracefulShutdown {
            await self.cronJobs.waitForSync()
            await self.jobs.waitForSync()
            guard !Task.isCancelled else { return }
            await self.workers.run { key in try await self.sync(key) }
        }
    }

    /// One sync of the CronJob `key` (`namespace/name`).
    func sync(_ key: String) async throws {
        guard let cronJob = cronJobs.get(key), !cronJob.metadata.isBeingDeleted else { return }
        let children = jobs.objects(controlledBy: cronJob.metadata.uid)
        var status = try await reconcileActive(cronJob, children: children)
        try await cleanUpHistory(cronJob, children: children.filter { !status.activeUIDs.contains($0.metadata.uid) })
        let nowDate = now()
        let now = Int64(nowDate.timeIntervalSince1970)
        if !cronJob.spec.suspend, let (schedule, zone) = parse(cronJob) {
            let created = cronJob.metadata.creationTimestamp.flatMap(Timestamp.parse).map { Int64($0.timeIntervalSince1970) } ?? now
            let lastScheduled = cronJob.status.lastScheduleTime.flatMap(Timestamp.parse).map { Int64($0.timeIntervalSince1970) }
            let earliest = CronRuns.earliest(
                lastScheduled: lastScheduled, created: created, startingDeadlineSeconds: cronJob.spec.startingDeadlineSeconds, now: now)
            let owed = CronRuns.mostRecent(schedule, zone: zone, after: earliest, through: now)
            if owed.missed > CronRuns.missedTimesLimit {
                record(
                    cronJob, type: "Warning", reason: "TooManyMissedTimes",
                    message: "too many missed start times: > \(CronRuns.missedTimesLimit). Set or decrease .spec.startingDeadlineSeconds or check clock skew")
            }
            if let scheduled = owed.time { try await start(cronJob, at: scheduled, status: &status) }
            if let next = schedule.next(after: now, in: zone) {
                // A little after the minute turns, so the run is owed when the sync comes.
                let wait = Double(next) - nowDate.timeIntervalSince1970 + 0.1
                workers.queue.add(key, after: .milliseconds(Int64(max(wait, 0.01) * 1000)))
            }
        }
        if status != cronJob.status {
            _ = try await client.update(
                .cronJobStatus, namespace: cronJob.metadata.namespace, cronJob.json(with: status), fieldManager: Self.component)
        }
    }

    /// The schedule and zone, or nil after a Warning event when either does not parse (an object
    /// stored before validation, or a zone the system lacks): nothing is created.
    private func parse(_ cronJob: CronJob) -> (CronSchedule, ZoneRules)? {
        let schedule: CronSchedule
        do {
            schedule = try CronSchedule(parsing: cronJob.spec.schedule)
        } catch {
            record(cronJob, type: "Warning", reason: "UnparseableSchedule", message: "unparseable schedule: \"\(cronJob.spec.schedule)\" : \(error.message)")
            return nil
        }
        guard let name = cronJob.spec.timeZone else { return (schedule, .utc) }
        do {
            return (schedule, try ZoneRules.load(named: name))
        } catch {
            record(cronJob, type: "Warning", reason: "UnknownTimeZone", message: "invalid timeZone: \"\(name)\": \(error.message)")
            return nil
        }
    }

    func record(_ cronJob: CronJob, type: String = "Normal", reason: String, message: String) {
        let owner = ControllerOwner(apiVersion: "batch/v1", kind: "CronJob", metadata: cronJob.metadata)
        recorder.record(
            namespace: cronJob.metadata.namespace,
            EventRecorder.event(involved: owner.involvedObject, type: type, reason: reason, message: message, component: Self.component, host: ""))
    }
}
