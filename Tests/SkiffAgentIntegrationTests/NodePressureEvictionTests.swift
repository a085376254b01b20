import Foundation
import SkiffTestSupport
import Testing

/// Node-pressure eviction on a real agent (root): real cgroups, a real memory hog, the node's
/// conditions and taints and the pods' statuses through real kubectl.
///
/// The machine's own free memory moves by gigabytes while other work runs, so the test gives
/// the pods' cgroup root a memory limit (as node-allocatable enforcement does) and sets the
/// threshold against that: the agent's memory.available is the lower of the node's and the
/// root's, and only this test's pods move the root's.
@Suite("Node-pressure eviction on a real agent (root)", .serialized)
struct NodePressureEvictionTests {
    static let mebibyte = 1 << 20
    /// The pods' cgroup root's limit, and the threshold: ~1190Mi is left before the hog, ~690Mi
    /// with its 500Mi.
    static let rootLimit = 1200 * mebibyte
    static let threshold = "memory.available<900Mi"

    static let bestEffortPod = """
        apiVersion: v1
        kind: Pod
        metadata: {name: idle}
        spec:
          terminationGracePeriodSeconds: 1
          containers:
          - name: main
            image: busybox
            command: ["/bin/sh", "-c", "while true; do sleep 1; done"]
        """

    /// Guaranteed, within its request: it only starves the node. busybox tail keeps the whole
    /// last "line" of its input, and /dev/zero has no newline, so it holds 500Mi of anonymous
    /// memory until killed.
    static let hogPod = """
        apiVersion: v1
        kind: Pod
        metadata: {name: hog}
        spec:
          terminationGracePeriodSeconds: 1
          containers:
          - name: main
            image: busybox
            command: ["/bin/sh", "-c", "(head -c 500m /dev/zero; sleep 100000) | tail"]
            resources:
              requests: {cpu: "1", memory: 900Mi}
              limits: {cpu: "1", memory: 900Mi}
        """

    /// BestEffort, bound straight to the node (the scheduler would keep it off the tainted node):
    /// the agent's admission refuses it while MemoryPressure is True.
    static func latePod(node: String) -> String {
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: late}
        spec:
          nodeName: \(node)
          terminationGracePeriodSeconds: 1
          containers:
          - name: main
            image: busybox
            command: ["/bin/sh", "-c", "while true; do sleep 1; done"]
        """
    }

    @Test(
        "a memory hog sets MemoryPressure True and the memory-pressure taint; the BestEffort pod is evicted first (Failed, Evicted, an event), a new one is refused, then the hog goes and the pressure clears (root)"
    )
    func memoryHogEvictsBestEffortFirst() async throws {
        try await AgentCluster.with(
            name: "evict", clusterCIDRBlock: 9,
            agentArguments: [
                // A 15 s transition period keeps MemoryPressure True that long after the last
                // crossing: with 1 s, idle and the hog were both evicted within 6 s and the
                // condition was True for 13 s, which a CI run's loaded kubectl polls once missed.
                "--eviction-hard", Self.threshold, "--eviction-monitoring-period", "4s", "--eviction-pressure-transition-period", "15s",
            ]
        ) { cluster in
            try Self.limitPodsRoot(of: cluster, bytes: Self.rootLimit)
            #expect(try await cluster.kubectl("apply", "-f", "-", input: Self.bestEffortPod).status == 0)
            try await cluster.waitForPod("idle") { Self.phase($0) == "Running" }
            // Two monitoring periods with the idle pod alone: no pressure yet.
            try await Task.sleep(for: .seconds(7))
            #expect(try await Self.condition(cluster, "MemoryPressure")["status"] as? String == "False")
            #expect(Self.phase(try await cluster.pod("idle")) == "Running")

            #expect(try await cluster.kubectl("apply", "-f", "-", input: Self.hogPod).status == 0)
            // Under pressure: the condition and the scheduler's taint, both seen while they last.
            var sawTaint = false
            var pressure: [String: Any] = [:]
            let deadline = Date().addingTimeInterval(90)
            while Date() < deadline, !(sawTaint && pressure["status"] as? String == "True") {
                let node = try await Self.node(cluster)
                let conditions = (node["status"] as? [String: Any])?["conditions"] as? [[String: Any]] ?? []
                if pressure.isEmpty, let memory = conditions.first(where: { $0["type"] as? String == "MemoryPressure" }),
                    memory["status"] as? String == "True"
                {
                    pressure = memory
                    #expect(try await cluster.kubectl("apply", "-f", "-", input: Self.latePod(node: cluster.nodeName)).status == 0)
                }
                let taints = (node["spec"] as? [String: Any])?["taints"] as? [[String: Any]] ?? []
                sawTaint =
                    sawTaint
                    || taints.contains { $0["key"] as? String == "node.kubernetes.io/memory-pressure" && $0["effect"] as? String == "NoSchedule" }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(pressure["status"] as? String == "True", "MemoryPressure never turned True; agent log:\n\(cluster.agentLog())")
            #expect(pressure["reason"] as? String == "KubeletHasInsufficientMemory")
            #expect(sawTaint, "the node lifecycle controller never put the memory-pressure taint on the node")

            // The BestEffort pod goes first, while the hog still runs.
            let idle = try await cluster.waitForPod("idle", timeout: 60) { Self.phase($0) == "Failed" }
            let hogWhenIdleWent = try await cluster.pod("hog")
            let idleStatus = idle["status"] as? [String: Any] ?? [:]
            #expect(idleStatus["reason"] as? String == "Evicted")
            let message = idleStatus["message"] as? String ?? ""
            #expect(message.hasPrefix("The node was low on resource: memory. Threshold quantity: 900Mi"), "message: \(message)")
            #expect(message.contains("Container main was using"))
            let disruption = (idleStatus["conditions"] as? [[String: Any]])?.first { $0["type"] as? String == "DisruptionTarget" }
            #expect(disruption?["reason"] as? String == "TerminationByKubelet")
            let terminated = ((idleStatus["containerStatuses"] as? [[String: Any]])?.first?["state"] as? [String: Any])?["terminated"]
            #expect(terminated != nil, "the evicted pod's container is stopped: \(idleStatus)")
            #expect(
                Self.phase(hogWhenIdleWent) == "Running" || Self.evictedAfter(hogWhenIdleWent, idle),
                "the hog was evicted before or with the BestEffort pod: \(hogWhenIdleWent["status"] ?? "")")
            // Events are written off the eviction's path, a moment later.
            var events = try await Self.evictedEvents(cluster)
            for _ in 0..<50 where !events.contains(where: { $0.pod == "idle" }) {
                try await Task.sleep(for: .milliseconds(200))
                events = try await Self.evictedEvents(cluster)
            }
            #expect(events.contains { $0.pod == "idle" && $0.type == "Warning" && $0.message == message }, "Evicted events: \(events)")

            // A new BestEffort pod bound to the node under memory pressure is refused, never started.
            let late = try await cluster.waitForPod("late", timeout: 30) { Self.phase($0) == "Failed" }
            let lateStatus = late["status"] as? [String: Any] ?? [:]
            #expect(lateStatus["reason"] as? String == "Evicted")
            #expect(lateStatus["message"] as? String == "The node had condition: [MemoryPressure]. ")

            // Still short of memory with only the hog left: it goes next, and the pressure clears.
            let hog = try await cluster.waitForPod("hog", timeout: 60) { Self.phase($0) == "Failed" }
            #expect((hog["status"] as? [String: Any])?["reason"] as? String == "Evicted")
            #expect(Self.evictedAfter(hog, idle), "the BestEffort pod was evicted first")
            var cleared: [String: Any] = [:]
            let clearDeadline = Date().addingTimeInterval(60)
            while Date() < clearDeadline {
                cleared = try await Self.condition(cluster, "MemoryPressure")
                if cleared["status"] as? String == "False" { break }
                try await Task.sleep(for: .milliseconds(300))
            }
            #expect(cleared["status"] as? String == "False", "MemoryPressure stayed \(cleared); agent log:\n\(cluster.agentLog())")
            #expect(cleared["reason"] as? String == "KubeletHasSufficientMemory")
            #expect((cleared["lastTransitionTime"] as? String ?? "") >= (pressure["lastTransitionTime"] as? String ?? "~"))
            #expect(try await cluster.kubectl("get", "pods", "hog", "idle", "late").status == 0, "evicted pods stay for their owners to see")
        }
    }

    /// Gives the pods' cgroup root a memory limit (cgroup v1 or v2), making it first if the agent
    /// has not yet.
    static func limitPodsRoot(of cluster: AgentCluster, bytes: Int) throws {
        let v1 = "/sys/fs/cgroup/memory/skiff-test-\(cluster.bridge)"
        let isV1 = FileManager.default.fileExists(atPath: "/sys/fs/cgroup/memory")
        let directory = isV1 ? v1 : "/sys/fs/cgroup/skiff-test-\(cluster.bridge)"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        try "\(bytes)".write(toFile: directory + (isV1 ? "/memory.limit_in_bytes" : "/memory.max"), atomically: false, encoding: .utf8)
    }

    static func phase(_ pod: [String: Any]) -> String? { (pod["status"] as? [String: Any])?["phase"] as? String }

    /// Whether `later`'s eviction (its DisruptionTarget condition) came after `earlier`'s.
    static func evictedAfter(_ later: [String: Any], _ earlier: [String: Any]) -> Bool {
        func time(_ pod: [String: Any]) -> String? {
            ((pod["status"] as? [String: Any])?["conditions"] as? [[String: Any]])?
                .first { $0["type"] as? String == "DisruptionTarget" }?["lastTransitionTime"] as? String
        }
        guard let laterTime = time(later), let earlierTime = time(earlier) else { return false }
        return laterTime > earlierTime
    }

    static func node(_ cluster: AgentCluster) async throws -> [String: Any] {
        let result = try await cluster.kubectl("get", "node", cluster.nodeName, "-o", "json")
        return (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]) ?? [:]
    }

    static func condition(_ cluster: AgentCluster, _ type: String) async throws -> [String: Any] {
        let conditions = ((try await node(cluster))["status"] as? [String: Any])?["conditions"] as? [[String: Any]] ?? []
        return conditions.first { $0["type"] as? String == type } ?? [:]
    }

    static func evictedEvents(_ cluster: AgentCluster) async throws -> [(pod: String, type: String, message: String)] {
        let result = try await cluster.kubectl("get", "events", "-o", "json")
        let items = ((try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any])?["items"] as? [[String: Any]] ?? []
        return items.filter { $0["reason"] as? String == "Evicted" }.map { event in
            (
                ((event["involvedObject"] as? [String: Any])?["name"] as? String) ?? "", event["type"] as? String ?? "",
                event["message"] as? String ?? ""
            )
        }
    }
}
