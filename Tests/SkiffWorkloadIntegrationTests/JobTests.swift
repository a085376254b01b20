import Foundation
import SkiffTestSupport
import Testing

/// Jobs and CronJobs on `scripts/cluster` hosts, with real kubectl and busybox pods: indexed and
/// not, a failing Job hitting its backoffLimit, a pod failure policy, and a CronJob firing every
/// minute under Forbid. Each test brings its own two-node cluster up once.
@Suite("Jobs (root, multi-host)", .serialized)
struct JobTests {
    static let jobs = """
        apiVersion: batch/v1
        kind: Job
        metadata: {name: indexed}
        spec:
          completions: 4
          parallelism: 2
          completionMode: Indexed
          template:
            spec:
              restartPolicy: Never
              containers: [{name: main, image: busybox, command: [sh, -c, 'echo "index=$JOB_COMPLETION_INDEX"']}]
        ---
        apiVersion: batch/v1
        kind: Job
        metadata: {name: plain}
        spec:
          completions: 3
          parallelism: 3
          template:
            spec:
              restartPolicy: Never
              containers: [{name: main, image: busybox, command: [sh, -c, 'echo done']}]
        ---
        apiVersion: batch/v1
        kind: Job
        metadata: {name: failing}
        spec:
          backoffLimit: 1
          template:
            spec:
              restartPolicy: Never
              containers: [{name: main, image: busybox, command: [sh, -c, 'exit 1']}]
        ---
        apiVersion: batch/v1
        kind: Job
        metadata: {name: answer}
        spec:
          backoffLimit: 6
          podFailurePolicy:
            rules:
            - action: FailJob
              onExitCodes: {containerName: main, operator: In, values: [42]}
          template:
            spec:
              restartPolicy: Never
              containers: [{name: main, image: busybox, command: [sh, -c, 'exit 42']}]
        """

    /// The Job's condition of `type` that is True, if any.
    static func condition(_ job: [String: Any], _ type: String) -> [String: Any]? {
        let conditions = (job["status"] as? [String: Any])?["conditions"] as? [[String: Any]] ?? []
        return conditions.first { $0["type"] as? String == type && $0["status"] as? String == "True" }
    }

    /// The reasons of the events about the object named `name`.
    static func eventReasons(_ kube: Workloads, about name: String) async throws -> [String] {
        try await kube.items("events").compactMap { event in
            guard (event["involvedObject"] as? [String: Any])?["name"] as? String == name else { return nil }
            return event["reason"] as? String
        }
    }

    static func status(_ job: [String: Any], _ field: String) -> Int { (job["status"] as? [String: Any])?[field] as? Int ?? 0 }

    @Test(
        "an Indexed Job's pods each print their JOB_COMPLETION_INDEX; a NonIndexed Job completes; backoffLimit 1 fails after two pods; exit 42 under a FailJob rule fails at once"
    )
    func jobs() async throws {
        try await TestCluster.with(nodes: 2) { cluster in
            let kube = Workloads(cluster: cluster)
            try await kube.apply(Self.jobs)
            try await kube.eventually("the indexed and plain Jobs to complete", timeout: 180) {
                let indexed = try await kube.json("get", "job", "indexed")
                let plain = try await kube.json("get", "job", "plain")
                return Self.condition(indexed, "Complete") != nil && Self.condition(plain, "Complete") != nil
            }
            let indexed = try await kube.json("get", "job", "indexed")
            #expect(Self.status(indexed, "succeeded") == 4)
            #expect((indexed["status"] as? [String: Any])?["completedIndexes"] as? String == "0-3")
            let pods = try await kube.items("pods", selector: "job-name=indexed")
            #expect(pods.count == 4)
            var printed: Set<String> = []
            for pod in pods {
                let metadata = pod["metadata"] as? [String: Any] ?? [:]
                let name = metadata["name"] as? String ?? ""
                let index = (metadata["annotations"] as? [String: String])?["batch.kubernetes.io/job-completion-index"] ?? "?"
                #expect(name.hasPrefix("indexed-\(index)-"))
                #expect((metadata["finalizers"] as? [String] ?? []).isEmpty)
                let log = try await kube.kubectl("logs", name).trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(log == "index=\(index)")
                printed.insert(log)
            }
            #expect(printed == ["index=0", "index=1", "index=2", "index=3"])
            let plain = try await kube.json("get", "job", "plain")
            #expect(Self.status(plain, "succeeded") == 3 && Self.status(plain, "failed") == 0)

            try await kube.eventually("the failing Job to fail", timeout: 120) { Self.condition(try await kube.json("get", "job", "failing"), "Failed") != nil }
            let failing = try await kube.json("get", "job", "failing")
            #expect(Self.condition(failing, "Failed")?["reason"] as? String == "BackoffLimitExceeded")
            #expect(Self.status(failing, "failed") == 2)
            let events = try await Self.eventReasons(kube, about: "failing")
            #expect(events.contains("BackoffLimitExceeded"), "\(events)")

            try await kube.eventually("the exit-42 Job to fail", timeout: 60) { Self.condition(try await kube.json("get", "job", "answer"), "Failed") != nil }
            let answer = try await kube.json("get", "job", "answer")
            #expect(Self.condition(answer, "Failed")?["reason"] as? String == "PodFailurePolicy")
            #expect(Self.status(answer, "failed") == 1)
            #expect(try await kube.items("pods", selector: "job-name=answer").count == 1)

            try await Self.serverKilledMidJob(kube)
        }
    }

    static let counted = """
        apiVersion: batch/v1
        kind: Job
        metadata: {name: counted}
        spec:
          completions: 6
          parallelism: 2
          template:
            spec:
              restartPolicy: Never
              terminationGracePeriodSeconds: 1
              containers: [{name: main, image: busybox, command: [sleep, "3"]}]
        """

    /// The server is killed (SIGKILL) while a Job of 6 completions runs 2 at a time, and started
    /// again: the Job completes with exactly 6 succeeded pods (a pod counted twice, or one made
    /// again after the restart, would show as a seventh), none failed.
    static func serverKilledMidJob(_ kube: Workloads) async throws {
        try await kube.apply(Self.counted)
        try await kube.eventually("two of the counted Job's pods to succeed", timeout: 120) {
            Self.status(try await kube.json("get", "job", "counted"), "succeeded") >= 2
        }
        try await kube.cluster.restartServer()
        try await kube.eventually("the counted Job to complete after the restart", timeout: 180) {
            Self.condition(try await kube.json("get", "job", "counted"), "Complete") != nil
        }
        let job = try await kube.json("get", "job", "counted")
        #expect(Self.status(job, "succeeded") == 6 && Self.status(job, "failed") == 0, "\(job["status"] ?? "")")
        let pods = try await kube.items("pods", selector: "job-name=counted")
        let phases = pods.map { ($0["status"] as? [String: Any])?["phase"] as? String ?? "?" }
        #expect(phases.count == 6 && phases.allSatisfy { $0 == "Succeeded" }, "\(phases)")
    }

    static let cronJob = """
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: minutely}
        spec:
          schedule: "*/1 * * * *"
          concurrencyPolicy: Forbid
          jobTemplate:
            spec:
              template:
                spec:
                  restartPolicy: Never
                  containers: [{name: main, image: busybox, command: [sleep, "100"]}]
        """

    @Test("a CronJob every minute under Forbid whose run outlasts the minute never runs two Jobs at once; create job --from=cronjob runs its template")
    func cronJob() async throws {
        try await TestCluster.with(nodes: 2) { cluster in
            let kube = Workloads(cluster: cluster)
            try await kube.apply(Self.cronJob)
            // Watch the scheduled Jobs for up to ~130 s: the first fires within a minute and
            // runs 100 s, across the next scheduled time.
            var seen: Set<String> = []
            let deadline = Date().addingTimeInterval(130)
            var firstStarted: Date?
            while Date() < deadline {
                let jobs = try await kube.items("jobs")
                let scheduled = jobs.filter { (($0["metadata"] as? [String: Any])?["name"] as? String)?.hasPrefix("minutely-") == true }
                let running = scheduled.filter { Self.condition($0, "Complete") == nil && Self.condition($0, "Failed") == nil }
                #expect(running.count <= 1, "two scheduled Jobs ran at once: \(running.map { ($0["metadata"] as? [String: Any])?["name"] ?? "" })")
                for job in scheduled {
                    let metadata = job["metadata"] as? [String: Any] ?? [:]
                    seen.insert(metadata["name"] as? String ?? "")
                    #expect((metadata["annotations"] as? [String: String])?["batch.kubernetes.io/cronjob-scheduled-timestamp"] != nil)
                }
                if firstStarted == nil && !scheduled.isEmpty { firstStarted = Date() }
                // Seen the first run cross the next minute: Forbid has had its chance to fail.
                if let firstStarted, Date().timeIntervalSince(firstStarted) > 70 { break }
                try await Task.sleep(for: .seconds(2))
            }
            #expect(seen.count == 1, "\(seen)")
            let events = try await Self.eventReasons(kube, about: "minutely")
            #expect(events.contains("SuccessfulCreate"), "\(events)")
            #expect(events.contains("JobAlreadyActive"), "\(events)")
            let cron = try await kube.json("get", "cronjob", "minutely")
            #expect(((cron["status"] as? [String: Any])?["active"] as? [Any])?.count ?? 0 >= 1)
            #expect((cron["status"] as? [String: Any])?["lastScheduleTime"] as? String != nil)

            try await kube.kubectl("create", "job", "by-hand", "--from=cronjob/minutely")
            let manual = try await kube.json("get", "job", "by-hand")
            let owners = (manual["metadata"] as? [String: Any])?["ownerReferences"] as? [[String: Any]] ?? []
            #expect(owners.first?["kind"] as? String == "CronJob")
            try await kube.eventually("the by-hand Job's pod to run", timeout: 60) {
                let pods = try await kube.items("pods", selector: "job-name=by-hand")
                return pods.contains { ($0["status"] as? [String: Any])?["phase"] as? String == "Running" }
            }
        }
    }
}
