import SkiffAPI
import SkiffStats
import Testing

@testable import SkiffAgent

@Suite("Eviction ranking and signals")
struct EvictionRankingTests {
    static let mebibyte: Int64 = 1 << 20

    static func candidate(_ name: String, qos: QoSClass, priority: Int32 = 0, usage: Int64, request: Int64 = 0) -> EvictionCandidate {
        EvictionCandidate(
            uid: name, name: name, priority: priority, qos: qos,
            memory: [.init(name: "main", usage: usage * mebibyte, request: request * mebibyte)])
    }

    @Test("pods over their requests go first (BestEffort request nothing), then lower priority, then most above request")
    func memoryRanking() {
        let pods = [
            Self.candidate("guaranteed-hog", qos: .guaranteed, usage: 500, request: 600),
            Self.candidate("besteffort-small", qos: .bestEffort, usage: 2),
            Self.candidate("burstable-over", qos: .burstable, usage: 300, request: 100),
            Self.candidate("besteffort-important", qos: .bestEffort, priority: 1000, usage: 50),
            Self.candidate("burstable-under", qos: .burstable, usage: 50, request: 100),
        ]
        #expect(
            EvictionRanking.rank(pods, for: .memoryAvailable).map(\.name) == [
                // Over requests: priority 0 first, by how far above (200Mi before 2Mi), then priority 1000.
                "burstable-over", "besteffort-small", "besteffort-important",
                // Within requests: the one furthest above (least below) its request first.
                "burstable-under", "guaranteed-hog",
            ])
    }

    @Test("system-critical pods are never candidates")
    func criticalPodsAreKept() {
        let pods = [
            Self.candidate("dns", qos: .bestEffort, priority: 2_000_000_000, usage: 900),
            Self.candidate("app", qos: .guaranteed, usage: 10, request: 100),
        ]
        #expect(EvictionRanking.rank(pods, for: .memoryAvailable).map(\.name) == ["app"])
    }

    @Test("pid pressure ranks by priority, then the most tasks; disk by requests and QoS")
    func otherResources() {
        let pids = [
            EvictionCandidate(uid: "a", name: "a", qos: .guaranteed, processes: 900),
            EvictionCandidate(uid: "b", name: "b", qos: .bestEffort, processes: 10),
            EvictionCandidate(uid: "c", name: "c", priority: 5, qos: .bestEffort, processes: 5000),
        ]
        #expect(EvictionRanking.rank(pids, for: .pidAvailable).map(\.name) == ["a", "b", "c"])
        let disk = [
            EvictionCandidate(uid: "g", name: "g", qos: .guaranteed, ephemeralStorageRequest: 1 << 30),
            EvictionCandidate(uid: "u", name: "u", qos: .burstable),
            EvictionCandidate(uid: "e", name: "e", qos: .bestEffort),
        ]
        #expect(EvictionRanking.rank(disk, for: .nodefsAvailable).map(\.name) == ["e", "u", "g"])
    }

    @Test("the Evicted message names the resource, threshold, what was left and the containers over their requests")
    func evictionMessage() {
        let pod = EvictionCandidate(
            uid: "x", name: "x", qos: .burstable,
            memory: [.init(name: "hog", usage: 400 * Self.mebibyte, request: 100 * Self.mebibyte), .init(name: "quiet", usage: 1, request: 1024)])
        let message = EvictionRanking.message(for: pod, signal: .memoryAvailable, threshold: 700 * Self.mebibyte, available: 500 * Self.mebibyte)
        #expect(
            message
                == "The node was low on resource: memory. Threshold quantity: 700Mi, available: 500Mi. Container hog was using 400Mi, request is 100Mi, has larger consumption of memory. "
        )
        let pids = EvictionRanking.message(for: pod, signal: .pidAvailable, threshold: 100, available: 42)
        #expect(pids == "The node was low on resource: pids. Threshold quantity: 100, available: 42. ")
    }

    @Test("a pod's requests and priority come from its spec; a limit stands in for a missing request")
    func candidateFromPod() throws {
        let pod = try Pod(
            json: [
                "metadata": ["name": "web", "namespace": "shop", "uid": "u1"],
                "spec": [
                    "priority": 100,
                    "containers": [
                        ["name": "a", "image": "x", "resources": ["requests": ["memory": "64Mi"], "limits": ["memory": "128Mi"]]],
                        ["name": "b", "image": "x", "resources": ["limits": ["memory": "32Mi", "ephemeral-storage": "1Gi"]]],
                    ],
                ],
            ])
        let candidate = EvictionCandidate(pod: pod, memoryWorkingSet: ["a": 100 * Self.mebibyte], processes: 7)
        #expect(candidate.key == "shop/web")
        #expect(candidate.priority == 100)
        #expect(candidate.qos == .burstable)
        #expect(
            candidate.memory == [
                .init(name: "a", usage: 100 * Self.mebibyte, request: 64 * Self.mebibyte), .init(name: "b", usage: 0, request: 32 * Self.mebibyte),
            ])
        #expect(candidate.usage(for: .memoryAvailable) == (100 * Self.mebibyte, 96 * Self.mebibyte))
        #expect(candidate.usage(for: .pidAvailable) == (7, 0))
        #expect(candidate.ephemeralStorageRequest == 1 << 30)
    }

    @Test("memory.available is the node's or the pods' cgroup root's, whichever is lower; nodefs and pids from statvfs and /proc")
    func observedSignals() {
        var node = NodeSample()
        node.memoryTotalBytes = 24 << 30
        node.memoryAvailableBytes = 20 << 30
        node.maxPID = 4_194_304
        node.processCount = 1000
        var root = CgroupSample()
        root.memoryLimitBytes = 1 << 30
        root.memoryWorkingSetBytes = 600 << 20
        let filesystem = FilesystemSample(capacityBytes: 1000, availableBytes: 80, usedBytes: 920, inodes: 100, inodesFree: 40)
        let signals = SignalObservation.observe(node: node, podsRoot: root, nodefs: filesystem)
        #expect(signals[.memoryAvailable] == SignalObservation(available: 424 << 20, capacity: 1 << 30))
        #expect(signals[.nodefsAvailable] == SignalObservation(available: 80, capacity: 1000))
        #expect(signals[.nodefsInodesFree] == SignalObservation(available: 40, capacity: 100))
        #expect(signals[.pidAvailable] == SignalObservation(available: 4_193_304, capacity: 4_194_304))

        root.memoryLimitBytes = nil
        let unlimited = SignalObservation.observe(node: node, podsRoot: root, nodefs: nil)
        #expect(unlimited[.memoryAvailable] == SignalObservation(available: 20 << 30, capacity: 24 << 30), "an unlimited root leaves the node's")
        #expect(unlimited[.nodefsAvailable] == nil)
    }
}

@Suite("Admission under node pressure")
struct PressureAdmissionTests {
    static func pod(memoryRequest: String? = nil, priority: Int? = nil, tolerations: JSON? = nil) throws -> Pod {
        var container: JSON = ["name": "main", "image": "busybox"]
        if let memoryRequest { container["resources"] = ["requests": ["memory": .string(memoryRequest)]] }
        var spec: JSON = ["containers": [container]]
        if let priority { spec["priority"] = .int(Int64(priority)) }
        if let tolerations { spec["tolerations"] = tolerations }
        return try Pod(json: ["metadata": ["name": "p", "namespace": "default", "uid": "u"], "spec": spec])
    }

    @Test("memory pressure refuses BestEffort pods only, unless they tolerate the memory-pressure taint")
    func memoryPressure() throws {
        #expect(PressureAdmission.rejection(of: try Self.pod(), under: []) == nil)
        #expect(PressureAdmission.rejection(of: try Self.pod(), under: [.memory]) == "The node had condition: [MemoryPressure]. ")
        #expect(PressureAdmission.rejection(of: try Self.pod(memoryRequest: "64Mi"), under: [.memory]) == nil)
        let tolerant = try Self.pod(tolerations: [["key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"]])
        #expect(PressureAdmission.rejection(of: tolerant, under: [.memory]) == nil)
    }

    @Test("disk or pid pressure refuses every pod but critical ones")
    func diskAndPIDPressure() throws {
        #expect(
            PressureAdmission.rejection(of: try Self.pod(memoryRequest: "64Mi"), under: [.disk, .memory])
                == "The node had condition: [MemoryPressure DiskPressure]. ")
        #expect(PressureAdmission.rejection(of: try Self.pod(memoryRequest: "64Mi"), under: [.pid]) == "The node had condition: [PIDPressure]. ")
        #expect(PressureAdmission.rejection(of: try Self.pod(priority: 2_000_001_000), under: [.disk, .pid]) == nil)
    }
}
