import Foundation
import Logging
import SkiffAPI
import SkiffClient
import Synchronization
import Testing

@testable import SkiffControllers

/// The cronjob controller on a fake API with a clock the test moves: which runs it starts, how
/// runs overlap under each concurrency policy, and what it makes of runs missed while down.
@Suite("CronJobController on a fake API")
struct CronJobControllerTests {
    /// 2026-12-07T10:00:00Z.
    static let tenOClock: Int64 = 1_796_637_600

    final class Clock: Sendable {
        let time: Mutex<Int64>
        init(_ time: Int64) { self.time = Mutex(time) }
        func set(_ seconds: Int64) { time.withLock { $0 = seconds } }
        var date: Date { Date(timeIntervalSince1970: TimeInterval(time.withLock { $0 })) }
    }

    struct Harness {
        let cluster = FakeCluster()
        let clock: Clock
        let context: ControllerContext
        let controller: CronJobController

        init(now: Int64) {
            let clock = Clock(now)
            self.clock = clock
            var logger = Logger(label: "test")
            logger.logLevel = .warning
            context = ControllerContext(client: cluster, logger: logger)
            controller = CronJobController(context: context, now: { clock.date })
        }

        func run(_ body: () async throws -> Void) async throws {
            let services = context.informers.runnables + [context.recorder, controller]
            let running = Task {
                await withTaskGroup(of: Void.self) { group in
                    for service in services { group.addTask { try? await service.run() } }
                }
            }
            defer { running.cancel() }
            try await body()
        }

        /// Moves the clock and has the controller look again (as its timer would).
        func advance(to seconds: Int64) throws {
            clock.set(seconds)
            let cronJob = try #require(cluster.objects(.cronJobs).first)
            cluster.put(.cronJobs, cronJob)
        }

        var jobNames: [String] { cluster.objects(.jobs).compactMap { $0["metadata"]["name"].string }.sorted() }
        var cronJob: CronJob? { cluster.objects(.cronJobs).first.flatMap { try? CronJob(json: $0) } }
        func events(_ reason: String) -> [JSON] { cluster.warningEvents.filter { $0["reason"].string == reason } }

        /// Marks the Job `name` Complete, as the job controller would.
        func complete(_ name: String, at seconds: Int64) throws {
            var job = try #require(cluster.objects(.jobs).first { $0["metadata"]["name"].string == name })
            let stamp = JSON.string(Timestamp.string(Date(timeIntervalSince1970: TimeInterval(seconds))))
            job["status"] = ["conditions": [["type": "Complete", "status": "True", "lastTransitionTime": stamp]], "completionTime": stamp, "startTime": stamp]
            cluster.put(.jobs, job)
        }

        func until(_ condition: () -> Bool) async throws -> Bool {
            for _ in 0..<300 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
            return condition()
        }
    }

    static func cronJob(schedule: String = "*/1 * * * *", policy: String = "Allow", created: Int64, extra: JSON = .emptyObject) -> JSON {
        var spec: JSON = [
            "schedule": .string(schedule), "concurrencyPolicy": .string(policy), "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
            "jobTemplate": [
                "metadata": ["labels": ["app": "tick"]],
                "spec": ["template": ["spec": ["restartPolicy": "Never", "containers": [["name": "main", "image": "busybox"]]]]],
            ],
        ]
        for (key, value) in extra.object ?? [:] { spec[key] = value }
        return [
            "apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": [
                "name": "tick", "namespace": "default", "uid": "cj-uid",
                "creationTimestamp": .string(Timestamp.string(Date(timeIntervalSince1970: TimeInterval(created)))),
            ],
            "spec": spec,
        ]
    }

    @Test("the most recent missed time is the one run owed; more than 100 missed is flagged; a starting deadline bounds the look-back")
    func missedRuns() throws {
        let hourly = try CronSchedule(parsing: "@hourly")
        let owed = CronRuns.mostRecent(hourly, zone: .utc, after: Self.tenOClock - 3 * 3600, through: Self.tenOClock + 120)
        #expect(owed.time == Self.tenOClock && owed.missed == 3)
        #expect(CronRuns.mostRecent(hourly, zone: .utc, after: Self.tenOClock, through: Self.tenOClock + 120).time == nil)
        let everyMinute = try CronSchedule(parsing: "* * * * *")
        let many = CronRuns.mostRecent(everyMinute, zone: .utc, after: Self.tenOClock - 5 * 3600, through: Self.tenOClock + 30)
        #expect(many.time == Self.tenOClock && many.missed == 101)
        let earliest = CronRuns.earliest(lastScheduled: Self.tenOClock - 3 * 3600, created: 0, startingDeadlineSeconds: 60, now: Self.tenOClock + 120)
        #expect(earliest == Self.tenOClock + 60)
        #expect(CronRuns.mostRecent(hourly, zone: .utc, after: earliest, through: Self.tenOClock + 120).time == nil)
        #expect(CronRuns.earliest(lastScheduled: nil, created: 42, startingDeadlineSeconds: nil, now: 1000) == 42)
        #expect(CronRuns.jobName(cronJob: "tick", scheduled: Self.tenOClock) == "tick-\(Self.tenOClock / 60)")
    }

    @Test("a run starts a Job named for its minute, annotated with the scheduled time, owned by the CronJob, listed as active")
    func startsRun() async throws {
        let harness = Harness(now: Self.tenOClock + 5)
        harness.cluster.put(.cronJobs, Self.cronJob(created: Self.tenOClock - 30))
        try await harness.run { () async throws in
            #expect(try await harness.until { harness.jobNames == ["tick-\(Self.tenOClock / 60)"] })
            let job = try #require(harness.cluster.objects(.jobs).first)
            #expect(job["metadata"]["annotations"][CronJob.scheduledTimestampAnnotation].string == "2026-12-07T10:00:00Z")
            #expect(job["metadata"]["ownerReferences"][0]["uid"].string == "cj-uid")
            #expect(job["metadata"]["ownerReferences"][0]["controller"].bool == true)
            #expect(job["metadata"]["labels"]["app"].string == "tick")
            #expect(try await harness.until { harness.cronJob?.status.lastScheduleTime == "2026-12-07T10:00:00Z" })
            #expect(harness.cronJob?.status.active.count == 1)
            // The same minute again: nothing new.
            try harness.advance(to: Self.tenOClock + 30)
            try await Task.sleep(for: .milliseconds(100))
            #expect(harness.jobNames.count == 1)
        }
    }

    @Test("Forbid starts no run while one is active, and the owed run once it completes; Allow overlaps; Replace deletes the active Job")
    func concurrency() async throws {
        let minute = Self.tenOClock / 60
        for policy in ["Forbid", "Allow", "Replace"] {
            let harness = Harness(now: Self.tenOClock + 5)
            harness.cluster.put(.cronJobs, Self.cronJob(policy: policy, created: Self.tenOClock - 30))
            try await harness.run { () async throws in
                #expect(try await harness.until { harness.jobNames == ["tick-\(minute)"] })
                #expect(try await harness.until { harness.cronJob?.status.active.count == 1 })
                try harness.advance(to: Self.tenOClock + 65)
                switch policy {
                case "Forbid":
                    #expect(try await harness.until { !harness.events("JobAlreadyActive").isEmpty })
                    #expect(harness.jobNames == ["tick-\(minute)"])
                    try harness.complete("tick-\(minute)", at: Self.tenOClock + 70)
                    try harness.advance(to: Self.tenOClock + 75)
                    #expect(try await harness.until { harness.jobNames == ["tick-\(minute)", "tick-\(minute + 1)"] })
                    #expect(try await harness.until { harness.cronJob?.status.lastSuccessfulTime == "2026-12-07T10:01:10Z" })
                case "Allow":
                    #expect(try await harness.until { harness.jobNames == ["tick-\(minute)", "tick-\(minute + 1)"] })
                    #expect(try await harness.until { harness.cronJob?.status.active.count == 2 })
                default:
                    #expect(try await harness.until { harness.jobNames == ["tick-\(minute + 1)"] })
                    #expect(harness.cluster.writes.contains("delete jobs tick-\(minute)"))
                }
            }
        }
    }

    @Test("after the server was down, only the most recent missed run starts; beyond 100 missed a TooManyMissedTimes warning")
    func catchUp() async throws {
        let harness = Harness(now: Self.tenOClock + 20)
        var cronJob = Self.cronJob(created: Self.tenOClock - 5 * 3600)
        cronJob["status"] = ["lastScheduleTime": .string(Timestamp.string(Date(timeIntervalSince1970: TimeInterval(Self.tenOClock - 5 * 3600))))]
        harness.cluster.put(.cronJobs, cronJob)
        try await harness.run { () async throws in
            #expect(try await harness.until { harness.jobNames == ["tick-\(Self.tenOClock / 60)"] })
            #expect(try await harness.until { !harness.events("TooManyMissedTimes").isEmpty })
            #expect(harness.events("TooManyMissedTimes").first?["type"].string == "Warning")
        }
    }

    @Test("with startingDeadlineSeconds a run owed longer ago than that is skipped")
    func startingDeadline() async throws {
        let harness = Harness(now: Self.tenOClock + 600)
        harness.cluster.put(.cronJobs, Self.cronJob(schedule: "0 * * * *", created: Self.tenOClock - 30, extra: ["startingDeadlineSeconds": 300]))
        try await harness.run { () async throws in
            try await Task.sleep(for: .milliseconds(200))
            #expect(harness.jobNames.isEmpty)
            try harness.advance(to: Self.tenOClock + 3600 + 200)
            #expect(try await harness.until { harness.jobNames == ["tick-\((Self.tenOClock + 3600) / 60)"] })
        }
    }

    @Test("an unparsable schedule on a stored CronJob is a Warning event and nothing is created; a suspended one starts nothing")
    func badScheduleAndSuspend() async throws {
        let harness = Harness(now: Self.tenOClock + 5)
        harness.cluster.put(.cronJobs, Self.cronJob(schedule: "61 * * * *", created: Self.tenOClock - 30))
        try await harness.run { () async throws in
            #expect(try await harness.until { !harness.events("UnparseableSchedule").isEmpty })
            #expect(harness.events("UnparseableSchedule").first?["message"].string?.contains("61 * * * *") == true)
            #expect(harness.jobNames.isEmpty)
        }
        let suspended = Harness(now: Self.tenOClock + 5)
        suspended.cluster.put(.cronJobs, Self.cronJob(created: Self.tenOClock - 30, extra: ["suspend": true]))
        try await suspended.run { () async throws in
            try await Task.sleep(for: .milliseconds(200))
            #expect(suspended.jobNames.isEmpty)
        }
    }

    @Test("finished Jobs beyond the history limits are deleted, oldest first")
    func history() async throws {
        let harness = Harness(now: Self.tenOClock + 5)
        harness.cluster.put(.cronJobs, Self.cronJob(schedule: "0 0 1 1 *", created: Self.tenOClock - 30))
        let owner = Pod.OwnerReference(apiVersion: "batch/v1", kind: "CronJob", name: "tick", uid: "cj-uid")
        for number in 1...5 {
            let stamp = JSON.string(Timestamp.string(Date(timeIntervalSince1970: TimeInterval(Self.tenOClock - Int64(600 * (6 - number))))))
            let condition = number == 5 || number == 4 ? "Failed" : "Complete"
            harness.cluster.put(
                .jobs,
                [
                    "metadata": ["name": .string("old-\(number)"), "namespace": "default", "uid": .string("job-\(number)"), "ownerReferences": [owner.json]],
                    "spec": ["template": ["spec": ["containers": [["name": "main", "image": "busybox"]]]]],
                    "status": ["startTime": stamp, "conditions": [["type": .string(condition), "status": "True", "lastTransitionTime": stamp]]],
                ])
        }
        try await harness.run { () async throws in
            #expect(try await harness.until { harness.jobNames == ["old-1", "old-2", "old-3", "old-5"] })
        }
    }
}
