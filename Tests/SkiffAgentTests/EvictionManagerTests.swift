import FoundationEssentials
import Logging
import SkiffAPI
import Synchronization
import Testing

@testable import SkiffAgent

/// A node whose signals and pods the test sets; evictions remove the pod and are logged.
final class FakeEvictionHost: EvictionHost {
    private let state = Mutex<(measurement: EvictionMeasurement, evicted: [String], messages: [String], published: [NodePressure])>(
        (EvictionMeasurement(signals: [:], pods: []), [], [], []))

    var evicted: [String] { state.withLock { $0.evicted } }
    var messages: [String] { state.withLock { $0.messages } }
    var published: [NodePressure] { state.withLock { $0.published } }

    func set(memoryAvailable: Int64, pods: [EvictionCandidate]? = nil) {
        state.withLock { state in
            state.measurement.signals[.memoryAvailable] = SignalObservation(available: memoryAvailable, capacity: 24 << 30)
            if let pods { state.measurement.pods = pods }
        }
    }

    func measure() async -> EvictionMeasurement { state.withLock { $0.measurement } }

    func evict(podUID: String, message: String) async -> Bool {
        state.withLock { state in
            guard let index = state.measurement.pods.firstIndex(where: { $0.uid == podUID }) else { return false }
            state.measurement.pods.remove(at: index)
            state.evicted.append(podUID)
            state.messages.append(message)
            return true
        }
    }

    func publish(_ pressure: NodePressure) async { state.withLock { $0.published.append(pressure) } }
}

@Suite("Eviction manager and node pressure conditions")
struct EvictionManagerTests {
    static let mebibyte: Int64 = 1 << 20

    static func manager(_ host: FakeEvictionHost, transition: Double = 0, thresholds: String = "memory.available<700Mi") throws -> EvictionManager {
        EvictionManager(
            configuration: EvictionConfiguration(
                thresholds: try EvictionThreshold.parseList(thresholds), monitoringIntervalSeconds: 1, pressureTransitionPeriodSeconds: transition),
            host: host, logger: Logger(label: "test"), now: Date(timeIntervalSince1970: 1000))
    }

    @Test("below the threshold: MemoryPressure True, one pod evicted per pass, BestEffort first; above it: False again")
    func evictsOnePodPerPassAndClears() async throws {
        let host = FakeEvictionHost()
        host.set(
            memoryAvailable: 500 * Self.mebibyte,
            pods: [
                EvictionCandidate(uid: "hog", name: "hog", qos: .guaranteed, memory: [.init(name: "main", usage: 400 << 20, request: 600 << 20)]),
                EvictionCandidate(uid: "idle", name: "idle", qos: .bestEffort, memory: [.init(name: "main", usage: 1 << 20, request: 0)]),
            ])
        let manager = try Self.manager(host)
        let start = Date(timeIntervalSince1970: 2000)
        let first = await manager.synchronize(now: start)
        #expect(first?.uid == "idle")
        #expect(first?.signal == .memoryAvailable)
        #expect(host.evicted == ["idle"])
        #expect(host.messages.first?.hasPrefix("The node was low on resource: memory. Threshold quantity: 700Mi, available: 500Mi.") == true)
        #expect(await manager.pressure.isUnderPressure(.memory))
        #expect(host.published.count == 1, "the condition change is published at once")
        let transition = await manager.pressure.conditions[.memory]?.lastTransition
        #expect(transition == start)

        // Still short: the next pass takes the next pod; the condition does not change again.
        #expect(await manager.synchronize(now: start.addingTimeInterval(10))?.uid == "hog")
        #expect(host.published.count == 1)
        #expect(await manager.pressure.conditions[.memory]?.lastTransition == start)

        // Nothing left to evict while still short: no eviction, still under pressure.
        #expect(await manager.synchronize(now: start.addingTimeInterval(20)) == nil)
        #expect(await manager.pressure.isUnderPressure(.memory))

        host.set(memoryAvailable: 900 * Self.mebibyte)
        #expect(await manager.synchronize(now: start.addingTimeInterval(30)) == nil)
        #expect(await !manager.pressure.isUnderPressure(.memory))
        #expect(await manager.pressure.conditions[.memory]?.lastTransition == start.addingTimeInterval(30))
        #expect(host.published.count == 2)
        #expect(await !manager.pressure.isUnderPressure(.disk))
        #expect(await !manager.pressure.isUnderPressure(.pid))
    }

    @Test("a node with enough memory evicts nothing and publishes nothing")
    func quietNode() async throws {
        let host = FakeEvictionHost()
        host.set(memoryAvailable: 800 * Self.mebibyte, pods: [EvictionCandidate(uid: "a", name: "a", qos: .bestEffort)])
        let manager = try Self.manager(host)
        #expect(await manager.synchronize() == nil)
        #expect(host.evicted.isEmpty)
        #expect(host.published.isEmpty)
    }

    @Test("the pressure transition period keeps the condition True after the signal recovers")
    func transitionPeriod() {
        let start = Date(timeIntervalSince1970: 5000)
        var pressure = NodePressure(transitionPeriodSeconds: 300, now: start)
        let crossed = pressure.observe(crossed: [.memoryAvailable], now: start.addingTimeInterval(1))
        #expect(crossed)
        let recovered = pressure.observe(crossed: [], now: start.addingTimeInterval(200))
        #expect(!recovered, "within the transition period nothing changes")
        #expect(pressure.isUnderPressure(.memory))
        let periodOver = pressure.observe(crossed: [], now: start.addingTimeInterval(302))
        #expect(periodOver)
        #expect(!pressure.isUnderPressure(.memory))
        let others = pressure.observe(crossed: [.nodefsInodesFree, .pidAvailable], now: start.addingTimeInterval(400))
        #expect(others)
        #expect(pressure.isUnderPressure(.disk) && pressure.isUnderPressure(.pid) && !pressure.isUnderPressure(.memory))
    }

    @Test("the conditions carry the kubelet's reasons and messages and their own transition times")
    func conditionJSON() throws {
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        var pressure = NodePressure(transitionPeriodSeconds: 0, now: start)
        _ = pressure.observe(crossed: [.memoryAvailable], now: start.addingTimeInterval(60))
        let conditions = pressure.json(now: "2026-12-07T15:00:00Z")
        #expect(conditions.map { $0["type"].string } == ["MemoryPressure", "DiskPressure", "PIDPressure"])
        #expect(conditions[0]["status"] == "True")
        #expect(conditions[0]["reason"] == "KubeletHasInsufficientMemory")
        #expect(conditions[0]["message"] == "kubelet has insufficient memory available")
        #expect(conditions[0]["lastTransitionTime"].string == Timestamp.string(start.addingTimeInterval(60)))
        #expect(conditions[1]["status"] == "False")
        #expect(conditions[1]["reason"] == "KubeletHasNoDiskPressure")
        #expect(conditions[1]["lastTransitionTime"].string == Timestamp.string(start))
        #expect(conditions[2]["reason"] == "KubeletHasSufficientPID")
        #expect(conditions.allSatisfy { $0["lastHeartbeatTime"] == "2026-12-07T15:00:00Z" })
    }

    @Test("an evicted pod's containers are killed and not restarted; it reports Failed, reason Evicted, with an Evicted event")
    func podWorkerEviction() async throws {
        let pod = WorkerHarness.pod(grace: 30, containers: [["app", "run"]])
        let harness = try WorkerHarness(pod: pod)
        defer { harness.cleanUp() }
        try await harness.update(pod)
        #expect(await harness.eventually { harness.containerState("app") == "running" })
        let message = "The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi. "
        #expect(await harness.worker.evict(message: message))
        #expect(await harness.eventually { harness.status.latest["phase"] == "Failed" })
        let status = harness.status.latest
        #expect(status["reason"] == "Evicted")
        #expect(status["message"].string == message)
        let disruption = (status["conditions"].array ?? []).first { $0["type"] == "DisruptionTarget" }
        #expect(disruption?["status"] == "True")
        #expect(disruption?["reason"] == "TerminationByKubelet")
        #expect(harness.status.events.contains("Evicted"))
        #expect(harness.status.messages.contains(message))
        #expect(harness.containerState("app")?.hasPrefix("terminated:") == true)
        #expect(harness.runtime.starts("app").count == 1, "an evicted pod's container is not restarted")
        #expect(harness.sandboxes.tornDown.withLock { $0 } == ["uid-1"])
        #expect(await harness.worker.lifecycle == .finished)
        #expect(await !harness.worker.evict(message: message), "a pod is evicted once")
        let saved = PodRecord.load(podsDirectory: harness.context.configuration.podsDirectory, uid: "uid-1")
        #expect(saved?.evictionMessage == message, "a restarted agent still reports why")
    }

    @Test("a pod refused under pressure never starts and reports Failed, reason Evicted, with an Evicted event")
    func podWorkerRefusal() async throws {
        let pod = WorkerHarness.pod(containers: [["app", "run"]])
        let harness = try WorkerHarness(pod: pod)
        defer { harness.cleanUp() }
        await harness.worker.refuse(message: "The node had condition: [MemoryPressure]. ")
        try await harness.update(pod)
        #expect(await harness.eventually { harness.status.latest["phase"] == "Failed" })
        #expect(harness.status.latest["reason"] == "Evicted")
        #expect(harness.status.latest["message"] == "The node had condition: [MemoryPressure]. ")
        #expect((harness.status.latest["conditions"].array ?? []).allSatisfy { $0["type"] != "DisruptionTarget" })
        #expect(harness.status.events == ["Evicted"])
        #expect(harness.runtime.log.isEmpty, "nothing was created or started")
        #expect(await harness.worker.lifecycle == .finished)
    }

    @Test("under memory pressure the pod manager refuses a new BestEffort pod and runs a Burstable one")
    func managerAdmission() async throws {
        let harness = try WorkerHarness(pod: WorkerHarness.pod(containers: [["unused", "run"]]))
        defer { harness.cleanUp() }
        let manager = PodManager(context: harness.context)
        await manager.setPressure([.memory])
        var bestEffort = WorkerHarness.pod(containers: [["idle", "run"]])
        bestEffort["metadata"]["uid"] = "uid-be"
        await manager.apply(try Pod(json: bestEffort))
        #expect(await harness.eventually { harness.status.latest["reason"] == "Evicted" })
        #expect(harness.status.latest["phase"] == "Failed")
        #expect(harness.runtime.log.isEmpty)

        var burstable = WorkerHarness.pod(containers: [["busy", "run"]])
        burstable["metadata"]["uid"] = "uid-bu"
        burstable["spec"]["containers"][0]["resources"] = ["requests": ["memory": "64Mi"]]
        await manager.apply(try Pod(json: burstable))
        #expect(await harness.eventually { harness.runtime.log.contains("start busy") })
        #expect(await manager.worker(uid: "uid-bu")?.lifecycle == .running)
    }

    @Test("a pod deleted while its eviction is stopping it is then terminated, and the eviction returns")
    func deletionDuringEviction() async throws {
        let pod = WorkerHarness.pod(grace: 30, containers: [["stubborn", "ignore-term"]])
        let harness = try WorkerHarness(pod: pod)
        defer { harness.cleanUp() }
        try await harness.update(pod)
        #expect(await harness.eventually { harness.containerState("stubborn") == "running" })
        let worker = harness.worker
        let eviction = Task { await worker.evict(message: "low on memory") }
        // SIGTERM is ignored: the eviction is inside its 1 s grace when the deletion comes.
        #expect(await harness.eventually { harness.runtime.log.contains("kill TERM stubborn") })
        var deleted = pod
        deleted["metadata"]["deletionTimestamp"] = .string(Timestamp.now())
        deleted["metadata"]["deletionGracePeriodSeconds"] = 0
        try await harness.update(deleted)
        #expect(await eviction.value)
        #expect(await harness.eventually { harness.finished.value == true })
        #expect(await harness.worker.lifecycle == .terminated)
        #expect(harness.status.deletions == ["default/p"])
        #expect(harness.runtime.starts("stubborn").count == 1)
    }
}
