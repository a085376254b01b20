import Foundation
import SkiffTestSupport
import Testing

/// The cAdvisor metrics users alert on, read the way Prometheus reads them: through the
/// server's node proxy from the agent's /metrics/cadvisor, on this (cgroup v1) host.
@Suite("cAdvisor throttling metrics through the node proxy (root)", .serialized)
struct CadvisorThrottlingTests {
    /// The value of the first sample of `name` whose labels contain every one of `labels`.
    static func value(_ text: String, _ name: String, _ labels: [String]) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + "{") {
            guard let close = line.lastIndex(of: "}") else { continue }
            let labelText = line[line.index(line.startIndex, offsetBy: name.count + 1)..<close]
            guard labels.allSatisfy({ labelText.contains($0) }) else { continue }
            return line[line.index(after: close)...].split(separator: " ").first.flatMap { Double($0) }
        }
        return nil
    }

    @Test("a busy loop under limits.cpu 100m shows container_cpu_cfs_throttled_periods_total rising, with its quota, threads, fds and the pod's network (root)")
    func busyLoopIsThrottled() async throws {
        try await AgentCluster.with(name: "throttle", clusterCIDRBlock: 13) { cluster in
            let manifest = """
                apiVersion: v1
                kind: Pod
                metadata: {name: spin}
                spec:
                  containers:
                  - name: loop
                    image: busybox
                    command: ["/bin/sh", "-c", "while true; do :; done"]
                    resources: {limits: {cpu: 100m, memory: 32Mi}}
                """
            #expect(try await cluster.kubectl("apply", "-f", "-", input: manifest).status == 0)
            try await cluster.waitForPod("spin") { ($0["status"] as? [String: Any])?["phase"] as? String == "Running" }
            let path = "/api/v1/nodes/\(cluster.nodeName)/proxy/metrics/cadvisor"
            let container = ["container=\"loop\"", "namespace=\"default\"", "pod=\"spin\""]

            // A 100 ms period with a 10 ms quota: a busy loop is throttled in nearly every period.
            var first: Double?
            var firstText = ""
            for _ in 0..<30 {
                firstText = try await cluster.kubectl("get", "--raw", path).stdout
                first = Self.value(firstText, "container_cpu_cfs_throttled_periods_total", container)
                if (first ?? 0) > 0 { break }
                try await Task.sleep(for: .milliseconds(500))
            }
            let before = try #require(first, "no throttled periods for the container:\n\(firstText.prefix(3000))")
            #expect(before > 0)
            try await Task.sleep(for: .seconds(3))
            let text = try await cluster.kubectl("get", "--raw", path).stdout
            let after = try #require(Self.value(text, "container_cpu_cfs_throttled_periods_total", container))
            // 3 s is 30 periods; a loaded machine still throttles well over a handful of them.
            #expect(after >= before + 5, "throttled periods went from \(before) to \(after)")
            let periods = try #require(Self.value(text, "container_cpu_cfs_periods_total", container))
            #expect(periods >= after)
            #expect((Self.value(text, "container_cpu_cfs_throttled_seconds_total", container) ?? 0) > 0)
            #expect(Self.value(text, "container_spec_cpu_quota", container) == 10_000)
            #expect(Self.value(text, "container_spec_cpu_period", container) == 100_000)
            // The kubelet gives a 100m request (requests default to limits) 102 shares.
            #expect(Self.value(text, "container_spec_cpu_shares", container) == 102)
            #expect((Self.value(text, "container_threads", container) ?? 0) >= 1)
            #expect((Self.value(text, "container_processes", container) ?? 0) >= 1)
            #expect((Self.value(text, "container_file_descriptors", container) ?? 0) >= 1)
            #expect(Self.value(text, "container_sockets", container) != nil)
            #expect(Self.value(text, "container_memory_failcnt", container) != nil)
            #expect(Self.value(text, "container_memory_mapped_file", container) != nil)
            // The pod's cgroup (container="") carries its network namespace's counters.
            let podNetwork = ["container=\"\"", "interface=\"eth0\"", "pod=\"spin\""]
            #expect(Self.value(text, "container_network_receive_packets_total", podNetwork) != nil, "no pod network:\n\(text.prefix(3000))")
            #expect(Self.value(text, "container_network_transmit_bytes_total", podNetwork) != nil)
            print("skiff-cadvisor throttling: throttled periods \(before) → \(after) of \(periods)")

            let summary = try await cluster.kubectl("get", "--raw", "/api/v1/nodes/\(cluster.nodeName)/proxy/stats/summary").stdout
            let json = try JSONSerialization.jsonObject(with: Data(summary.utf8)) as? [String: Any] ?? [:]
            let pod = (json["pods"] as? [[String: Any]] ?? []).first { ($0["podRef"] as? [String: Any])?["name"] as? String == "spin" }
            let network = try #require(pod?["network"] as? [String: Any], "no pod network in /stats/summary")
            #expect(network["name"] as? String == "eth0")
            #expect(((pod?["process_stats"] as? [String: Any])?["process_count"] as? Int ?? 0) >= 1)

            // The agent's own history: the housekeeping's 10 s points show the throttling too.
            let historyPath = "/api/v1/nodes/\(cluster.nodeName)/proxy/stats/history/default/spin"
            var throttledPoints: [Int] = []
            var historyText = ""
            for _ in 0..<30 {
                historyText = try await cluster.kubectl("get", "--raw", historyPath).stdout
                let history = try? JSONSerialization.jsonObject(with: Data(historyText.utf8)) as? [String: Any]
                let loop = (history?["containers"] as? [[String: Any]])?.first { $0["container"] as? String == "loop" }
                let fine = (loop?["resolutions"] as? [[String: Any]])?.first
                throttledPoints = (fine?["cfsThrottledPeriods"] as? [Any])?.compactMap { $0 as? Int } ?? []
                if throttledPoints.contains(where: { $0 > 0 }) { break }
                try await Task.sleep(for: .seconds(1))
            }
            #expect(throttledPoints.contains { $0 > 0 }, "no throttled 10 s point in the history:\n\(historyText.prefix(2000))")
            #expect(historyText.contains("\"cpuLimitMillicores\":100"), "the 100m limit line")
            print("skiff-history throttled periods per 10 s: \(throttledPoints)")
        }
    }
}
