import FoundationEssentials
import SkiffAPI
import Testing

@testable import SkiffAgent

/// The pod worker's lifecycle on fakes (no root, no processes): what it starts, in what order,
/// when it restarts, and how it stops. Each runs in well under a second.
@Suite("pod worker lifecycle on fakes")
struct PodWorkerTests {
    @Test("init containers run one at a time in order, and the app container only after the last succeeds")
    func initContainersRunInOrder() async throws {
        let harness = try WorkerHarness(
            pod: WorkerHarness.pod(
                initContainers: [["first", "exit", "0"], ["second", "exit", "0"]], containers: [["app", "run"]]))
        defer { harness.cleanUp() }
        try await harness.update(
            WorkerHarness.pod(
                initContainers: [["first", "exit", "0"], ["second", "exit", "0"]], containers: [["app", "run"]]))
        #expect(await harness.eventually { harness.containerState("app") == "running" })
        let starts = harness.runtime.log.filter { $0.hasPrefix("start ") || $0.hasPrefix("exit ") }
        #expect(starts == ["start first", "exit first", "start second", "exit second", "start app"])
        #expect(harness.status.latest["phase"] == "Running")
        #expect(harness.containerState("first") == "terminated:0")
    }

    @Test("a failing init container is retried with back-off and the app container never starts")
    func failingInitContainerHoldsThePod() async throws {
        let pod = WorkerHarness.pod(initContainers: [["setup", "exit", "1"]], containers: [["app", "run"]])
        let harness = try WorkerHarness(pod: pod)
        defer { harness.cleanUp() }
        try await harness.update(pod)
        #expect(await harness.eventually { harness.runtime.starts("setup").count >= 3 })
        #expect(!harness.runtime.log.contains("start app"))
        #expect(harness.status.latest["phase"] == "Pending")
    }

    @Test("a crashing container restarts at once, then after back-offs that double up to the maximum")
    func restartBackOffDoubles() async throws {
        let pod = WorkerHarness.pod(containers: [["crash", "exit", "1"]])
        let harness = try WorkerHarness(pod: pod)
        defer { harness.cleanUp() }
        try await harness.update(pod)
        // Back-off in the harness: 0.05 s doubling to 0.2 s. Waits are lower bounds only: a loaded
        // machine may run a restart late, never early. The holds themselves are in the messages.
        #expect(await harness.eventually { harness.runtime.starts("crash").count >= 6 })
        let starts = harness.runtime.starts("crash")
        try #require(starts.count >= 6, "only \(starts.count) starts")
        let gaps = zip(starts.dropFirst(), starts).map { later, earlier in later - earlier }
        #expect(gaps[1] >= .milliseconds(50), "then 0.05 s: \(gaps)")
        #expect(gaps[2] >= .milliseconds(100), "then 0.1 s: \(gaps)")
        #expect(gaps[3] >= .milliseconds(200), "then the 0.2 s maximum: \(gaps)")
        let holds = harness.status.statuses.compactMap { status -> String? in
            guard let message = status["containerStatuses"][0]["state"]["waiting"]["message"].string else { return nil }
            return message.split(separator: " ").dropFirst().first.map(String.init)
        }
        let distinctHolds = holds.reduce(into: [String]()) { if $0.last != $1 { $0.append($1) } }
        #expect(distinctHolds.prefix(3) == ["50ms", "100ms", "200ms"], "after an immediate first restart: \(holds)")
        #expect(holds.allSatisfy { ["50ms", "100ms", "200ms"].contains($0) }, "never past the maximum: \(holds)")
        #expect(harness.status.events.contains("BackOff"))
        #expect(
            harness.status.statuses.contains { status in
                status["containerStatuses"][0]["state"]["waiting"]["reason"] == "CrashLoopBackOff"
            })
        #expect(harness.restartCount("crash") >= 3)
    }

    @Test("a container that exits at once under restartPolicy Never fails the pod and gives back its sandbox")
    func containerExitingAtOnce() async throws {
        let pod = WorkerHarness.pod(restartPolicy: "Never", containers: [["quick", "exit", "3"]])
        let harness = try WorkerHarness(pod: pod)
        defer { harness.cleanUp() }
        try await harness.update(pod)
        #expect(await harness.eventually { harness.status.latest["phase"] == "Failed" })
        #expect(harness.containerState("quick") == "terminated:3")
        #expect(harness.status.latest["containerStatuses"][0]["state"]["terminated"]["reason"] == "Error")
        #expect(harness.runtime.starts("quick").count == 1)
        #expect(await harness.eventually { harness.sandboxes.tornDown.withLock { $0 } == ["uid-1"] })
        #expect(await harness.worker.lifecycle == .finished)
    }

    @Test("an exit that arrives while the start is still in flight is not lost")
    func exitDuringStartIsKept() async throws {
        let pod = WorkerHarness.pod(restartPolicy: "Never", containers: [["blink", "exit-during-start", "0"]])
        let harness = try WorkerHarness(pod: pod)
        defer { harness.cleanUp() }
        try await harness.update(pod)
        #expect(await harness.eventually { harness.status.latest["phase"] == "Succeeded" })
        #expect(harness.containerState("blink") == "terminated:0")
        #expect(harness.runtime.log.contains("delete blink"), "the ended container's runtime state is freed")
    }

    @Test("deletion sends SIGTERM; a container that stops on it is never SIGKILLed, and the deletion is confirmed")
    func terminationWithGrace() async throws {
        let pod = WorkerHarness.pod(grace: 30, containers: [["polite", "run"]])
        let harness = try WorkerHarness(pod: pod)
        defer { harness.cleanUp() }
        try await harness.update(pod)
        #expect(await harness.eventually { harness.containerState("polite") == "running" })
        var deleted = pod
        deleted["metadata"]["deletionTimestamp"] = .string(Timestamp.now())
        deleted["metadata"]["deletionGracePeriodSeconds"] = 30
        let began = ContinuousClock.now
        try await harness.update(deleted)
        #expect(await harness.eventually { harness.finished.value == true })
        #expect(ContinuousClock.now - began < .seconds(15), "stopping on SIGTERM does not wait out the 30 s grace")
        #expect(harness.runtime.log.filter { $0.hasPrefix("kill") } == ["kill TERM polite"])
        #expect(harness.status.deletions == ["default/p"])
        #expect(harness.status.events.contains("Killing"))
        #expect(await harness.worker.lifecycle == .terminated)
    }

    @Test("a container that ignores SIGTERM is SIGKILLed when the grace period is over")
    func graceEndsInSIGKILL() async throws {
        let pod = WorkerHarness.pod(containers: [["stubborn", "ignore-term"]])
        let harness = try WorkerHarness(pod: pod)
        defer { harness.cleanUp() }
        try await harness.update(pod)
        #expect(await harness.eventually { harness.containerState("stubborn") == "running" })
        var deleted = pod
        deleted["metadata"]["deletionTimestamp"] = .string(Timestamp.now())
        deleted["metadata"]["deletionGracePeriodSeconds"] = 0
        try await harness.update(deleted)
        #expect(await harness.eventually { harness.finished.value == true })
        #expect(harness.runtime.log.filter { $0.hasPrefix("kill") } == ["kill TERM stubborn", "kill KILL stubborn"])
        #expect(harness.status.deletions == ["default/p"])
    }

    @Test("a pod the model cannot decode is not run, and a Warning event says which field is wrong, once")
    func undecodablePodIsReported() async throws {
        let harness = try WorkerHarness(pod: WorkerHarness.pod(containers: [["app", "run"]]))
        defer { harness.cleanUp() }
        let manager = PodManager(context: harness.context)
        let bad: JSON = [
            "metadata": ["name": "typo", "namespace": "default", "uid": "uid-2"],
            "spec": ["dnsPolicy": "ClusterFrist", "containers": [["name": "c", "image": "busybox"]]],
        ]
        await manager.reject(bad, because: JSONShapeError(path: "spec.dnsPolicy", problem: "unsupported value \"ClusterFrist\""))
        await manager.reject(bad, because: JSONShapeError(path: "spec.dnsPolicy", problem: "unsupported value \"ClusterFrist\""))
        #expect(harness.status.events == ["Failed"])
        #expect(harness.status.messages.first?.contains("spec.dnsPolicy: unsupported value") == true)
        #expect(await manager.podCount == 0)
        #expect(throws: JSONShapeError.self) { try Pod(json: bad) }
    }
}
