import Foundation
import SkiffAPI
import Testing

@testable import SkiffControllers

/// The job controller's loop on a fake API, the test reporting pods ended as agents would.
@Suite("JobController on a fake API")
struct JobControllerTests {
    @Test("an Indexed Job runs each index once, its index in the pod's name, annotation, label and environment, then completes")
    func indexed() async throws {
        let harness = JobHarness()
        harness.cluster.put(.jobs, JobHarness.job("idx", spec: ["completions": 4, "parallelism": 2, "completionMode": "Indexed"]))
        try await harness.run {
            #expect(try await harness.until { try harness.activePods(of: "idx").count == 2 })
            let first = try harness.activePods(of: "idx")
            #expect(Set(first.compactMap(\.completionIndex)) == [0, 1])
            for pod in first {
                let index = try #require(pod.completionIndex)
                #expect(pod.name.hasPrefix("idx-\(index)-"))
                #expect(pod.labels[Job.completionIndexKey] == "\(index)")
                #expect(pod.finalizers == [Job.trackingFinalizer])
                #expect(pod.json["spec"]["hostname"].string == "idx-\(index)")
                let env = pod.json["spec"]["containers"][0]["env"].array ?? []
                #expect(env.contains { $0["name"].string == "JOB_COMPLETION_INDEX" && $0["value"].string == "\(index)" })
            }
            for pod in first { harness.finish(pod) }
            #expect(try await harness.until { Set(try harness.activePods(of: "idx").compactMap(\.completionIndex)) == [2, 3] })
            #expect(try await harness.until { try harness.job("idx")?.status.completedIndexes == "0-1" })
            for pod in try harness.activePods(of: "idx") { harness.finish(pod) }
            #expect(try await harness.until { try harness.job("idx")?.condition(.complete) != nil })
            let job = try #require(try harness.job("idx"))
            #expect(job.status.succeeded == 4 && job.status.failed == 0 && job.status.completedIndexes == "0-3")
            #expect(job.status.uncountedSucceeded.isEmpty && job.status.completionTime != nil && job.status.active == 0)
            #expect(job.condition(.successCriteriaMet) != nil)
            #expect(try harness.pods(of: "idx").count == 4)
            #expect(try harness.pods(of: "idx").allSatisfy { $0.finalizers.isEmpty })
            #expect(try await harness.until { harness.eventReasons().contains("Completed") })
            #expect(harness.eventReasons().filter { $0 == "SuccessfulCreate" }.count == 4)
        }
    }

    @Test("an ended pod is written into uncountedTerminatedPods before its finalizer is removed, and counted only after")
    func finalizerOrder() async throws {
        let harness = JobHarness()
        harness.cluster.put(.jobs, JobHarness.job("one", spec: ["completions": 1]))
        try await harness.run {
            #expect(try await harness.until { try harness.activePods(of: "one").count == 1 })
            let pod = try #require(try harness.activePods(of: "one").first)
            harness.finish(pod)
            #expect(try await harness.until { try harness.job("one")?.condition(.complete) != nil })
            let updates = harness.cluster.updates
            let release = try #require(updates.firstIndex { $0.write == "update pods \(pod.name)" })
            #expect(updates[release].object["metadata"]["finalizers"].isNull)
            let before = updates[..<release].filter { $0.write == "update jobs/status one" }
            let recorded = try #require(before.last)
            #expect(recorded.object["status"]["uncountedTerminatedPods"]["succeeded"] == [.string(pod.uid)])
            #expect(recorded.object["status"]["succeeded"].isNull)
            let after = updates[release...].first { $0.write == "update jobs/status one" }
            #expect(after?.object["status"]["succeeded"] == 1)
            #expect(after?.object["status"]["uncountedTerminatedPods"]["succeeded"].isNull == true)
        }
    }

    @Test("after a restart mid-count, a recorded pod still tracked is counted once and a counted pod is never counted again")
    func restartExact() async throws {
        let cluster = FakeCluster()
        var job = JobHarness.job("exact", spec: ["completions": 3, "parallelism": 3])
        job["status"] = ["startTime": "2026-12-07T00:00:00Z", "succeeded": 1, "uncountedTerminatedPods": ["succeeded": ["uid-b"]]]
        cluster.put(.jobs, job)
        let owner = Pod.OwnerReference(apiVersion: "batch/v1", kind: "Job", name: "exact", uid: "job-uid-exact")
        for (name, tracked) in [("a", false), ("b", true), ("c", true)] {
            cluster.put(
                .pods,
                [
                    "metadata": [
                        "name": .string(name), "namespace": "default", "uid": .string("uid-" + name), "ownerReferences": [owner.json],
                        "finalizers": tracked ? [.string(Job.trackingFinalizer)] : .null,
                    ],
                    "spec": ["containers": [["name": "main", "image": "busybox"]]], "status": ["phase": "Succeeded"],
                ])
        }
        let harness = JobHarness(cluster: cluster)
        try await harness.run {
            #expect(try await harness.until { try harness.job("exact")?.condition(.complete) != nil })
            let done = try #require(try harness.job("exact"))
            #expect(done.status.succeeded == 3)
            #expect(!cluster.writes.contains { $0.hasPrefix("create pods") })
            #expect(try harness.pods(of: "exact").allSatisfy { $0.finalizers.isEmpty })
        }
    }

    @Test("failures past backoffLimit fail the Job, each replacement after the back-off")
    func backoffLimit() async throws {
        let harness = JobHarness(backoff: JobBackoff(base: .milliseconds(300), maximum: .seconds(2)))
        harness.cluster.put(.jobs, JobHarness.job("fails", spec: ["completions": 1, "backoffLimit": 1]))
        try await harness.run {
            #expect(try await harness.until { try harness.activePods(of: "fails").count == 1 })
            harness.finish(try #require(try harness.activePods(of: "fails").first), exitCode: 1)
            let failedAt = Date()
            #expect(try await harness.until { try harness.activePods(of: "fails").count == 1 })
            #expect(Date().timeIntervalSince(failedAt) >= 0.25)
            #expect(try harness.job("fails")?.condition(.failed) == nil)
            harness.finish(try #require(try harness.activePods(of: "fails").first), exitCode: 1)
            #expect(try await harness.until { try harness.job("fails")?.condition(.failed) != nil })
            let job = try #require(try harness.job("fails"))
            #expect(job.condition(.failed)?.reason == "BackoffLimitExceeded" && job.condition(.failureTarget)?.reason == "BackoffLimitExceeded")
            #expect(job.status.failed == 2 && job.status.succeeded == 0 && job.status.completionTime == nil)
            #expect(try harness.pods(of: "fails").count == 2)
            #expect(try await harness.until { harness.eventReasons().contains("BackoffLimitExceeded") })
        }
    }

    @Test("a FailJob rule on exit code 42 fails the Job at once; an Ignore rule's failures are not counted")
    func podFailurePolicy() async throws {
        let harness = JobHarness()
        let policy: JSON = [
            "rules": [
                ["action": "FailJob", "onExitCodes": ["containerName": "main", "operator": "In", "values": [42]]],
                ["action": "Ignore", "onPodConditions": [["type": "DisruptionTarget"]]],
            ]
        ]
        harness.cluster.put(.jobs, JobHarness.job("policy", spec: ["completions": 1, "backoffLimit": 6, "podFailurePolicy": policy]))
        try await harness.run {
            #expect(try await harness.until { try harness.activePods(of: "policy").count == 1 })
            // Disrupted: replaced, not counted.
            harness.finish(
                try #require(try harness.activePods(of: "policy").first), exitCode: 137, conditions: [["type": "DisruptionTarget", "status": "True"]])
            #expect(try await harness.until { try harness.activePods(of: "policy").count == 1 && harness.pods(of: "policy").count == 2 })
            #expect(try harness.job("policy")?.status.failed == 0)
            harness.finish(try #require(try harness.activePods(of: "policy").first), exitCode: 42)
            #expect(try await harness.until { try harness.job("policy")?.condition(.failed) != nil })
            let job = try #require(try harness.job("policy"))
            #expect(job.condition(.failed)?.reason == "PodFailurePolicy")
            #expect(job.condition(.failed)?.message?.contains("exit code 42 matching FailJob rule at index 0") == true)
            #expect(job.status.failed == 1)
            #expect(try harness.pods(of: "policy").count == 2)
        }
    }

    @Test("suspending deletes the active pods without counting them failed; resuming starts them again with a new start time")
    func suspend() async throws {
        let harness = JobHarness()
        harness.cluster.put(.jobs, JobHarness.job("pause", spec: ["completions": 2, "parallelism": 2]))
        try await harness.run {
            #expect(try await harness.until { try harness.activePods(of: "pause").count == 2 })
            for pod in try harness.activePods(of: "pause") { harness.start(pod) }
            var suspended = try #require(try harness.job("pause")).json
            suspended["spec"]["suspend"] = true
            harness.cluster.put(.jobs, suspended)
            // Deleted: their agent stops them; nothing of the Job's holds them any more.
            #expect(try await harness.until { try harness.activePods(of: "pause").isEmpty })
            #expect(try await harness.until { try harness.pods(of: "pause").allSatisfy { $0.isBeingDeleted && $0.finalizers.isEmpty } })
            #expect(try await harness.until { try harness.job("pause")?.condition(.suspended) != nil })
            let paused = try #require(try harness.job("pause"))
            #expect(paused.status.failed == 0 && paused.status.active == 0)
            try await Task.sleep(for: .seconds(1))
            var resumed = paused.json
            resumed["spec"]["suspend"] = false
            harness.cluster.put(.jobs, resumed)
            #expect(try await harness.until { try harness.activePods(of: "pause").count == 2 })
            #expect(try await harness.until { try harness.job("pause")?.status.condition(.suspended)?.status == "False" })
            let running = try #require(try harness.job("pause"))
            #expect(running.status.startTime != paused.status.startTime)
            #expect(harness.eventReasons().contains("Suspended"))
        }
    }

    @Test("a Job active past activeDeadlineSeconds fails with DeadlineExceeded and its pods are deleted")
    func deadline() async throws {
        let harness = JobHarness()
        harness.cluster.put(.jobs, JobHarness.job("slow", spec: ["completions": 1, "activeDeadlineSeconds": 1]))
        try await harness.run { () async throws in
            #expect(try await harness.until { try harness.activePods(of: "slow").count == 1 })
            #expect(try await harness.until(seconds: 5) { try harness.job("slow")?.condition(.failed) != nil })
            #expect(try harness.job("slow")?.condition(.failed)?.reason == "DeadlineExceeded")
            #expect(try harness.pods(of: "slow").isEmpty)
            #expect(try await harness.until { harness.eventReasons().contains("DeadlineExceeded") })
        }
    }

    @Test("a finished Job past ttlSecondsAfterFinished is deleted")
    func ttl() async throws {
        let harness = JobHarness()
        harness.cluster.put(.jobs, JobHarness.job("short", spec: ["completions": 1, "ttlSecondsAfterFinished": 0]))
        try await harness.run {
            #expect(try await harness.until { try harness.activePods(of: "short").count == 1 })
            harness.finish(try #require(try harness.activePods(of: "short").first))
            #expect(try await harness.until { try harness.job("short") == nil })
            #expect(harness.cluster.writes.contains("delete jobs short"))
        }
    }

    @Test("with backoffLimitPerIndex an index that fails is not retried, the others run, and the Job fails with FailedIndexes")
    func perIndex() async throws {
        let harness = JobHarness()
        harness.cluster.put(
            .jobs, JobHarness.job("per", spec: ["completions": 3, "parallelism": 3, "completionMode": "Indexed", "backoffLimitPerIndex": 1]))
        try await harness.run {
            #expect(try await harness.until { try harness.activePods(of: "per").count == 3 })
            let zero = try #require(try harness.activePods(of: "per").first { $0.completionIndex == 0 })
            #expect(zero.annotations[Job.indexFailureCountKey] == "0")
            harness.finish(zero, exitCode: 1)
            // Index 0 gets one retry, counting its failure.
            #expect(try await harness.until { try harness.activePods(of: "per").contains { $0.completionIndex == 0 } })
            let retry = try #require(try harness.activePods(of: "per").first { $0.completionIndex == 0 })
            #expect(retry.annotations[Job.indexFailureCountKey] == "1")
            harness.finish(retry, exitCode: 1)
            #expect(try await harness.until { try harness.job("per")?.status.failedIndexes == "0" })
            for pod in try harness.activePods(of: "per") { harness.finish(pod) }
            #expect(try await harness.until { try harness.job("per")?.condition(.failed) != nil })
            let job = try #require(try harness.job("per"))
            #expect(job.condition(.failed)?.reason == "FailedIndexes")
            #expect(job.status.completedIndexes == "1-2" && job.status.failedIndexes == "0" && job.status.failed == 2 && job.status.succeeded == 2)
        }
    }

    @Test("without completions, one success ends the work: no new pods, complete once the others stop")
    func workQueue() async throws {
        let harness = JobHarness()
        harness.cluster.put(.jobs, JobHarness.job("queue", spec: ["parallelism": 2]))
        try await harness.run {
            #expect(try await harness.until { try harness.activePods(of: "queue").count == 2 })
            let pods = try harness.activePods(of: "queue")
            harness.finish(pods[0])
            #expect(try await harness.until { try harness.job("queue")?.status.succeeded == 1 })
            #expect(try harness.job("queue")?.condition(.complete) == nil)
            #expect(try harness.pods(of: "queue").count == 2)
            harness.finish(pods[1])
            #expect(try await harness.until { try harness.job("queue")?.condition(.complete) != nil })
            #expect(try harness.job("queue")?.status.succeeded == 2)
        }
    }
}
