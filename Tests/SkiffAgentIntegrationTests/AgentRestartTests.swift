import Foundation
import SkiffTestSupport
import Testing

@Suite("skiff agent restarts, accounting and bad manifests (root)", .serialized)
struct AgentRestartTests {
    @Test("kill -9 of the agent with 20 pods running: none restarts, and exits while it was down are reported with their logs (root)")
    func agentKilledWhilePodsRun() async throws {
        try await AgentCluster.with(name: "kill9", clusterCIDRBlock: 4) { cluster in
            // Pods 0–4 exit once the test creates signal/go on the host, which it does while the
            // agent is down.
            let signal = cluster.directory + "/signal"
            try FileManager.default.createDirectory(atPath: signal, withIntermediateDirectories: true)
            var manifest = ""
            for index in 0..<20 {
                let command =
                    index < 5
                    ? "echo started-\(index); while [ ! -e /signal/go ]; do sleep 0.1; done; echo bye-\(index); exit \(index + 10)"
                    : "echo started-\(index); sleep 3600"
                manifest += """
                    apiVersion: v1
                    kind: Pod
                    metadata: {name: p\(index)}
                    spec:
                      restartPolicy: Never
                      volumes: [{name: signal, hostPath: {path: "\(signal)"}}]
                      containers:
                      - name: c
                        image: busybox
                        command: ["/bin/sh", "-c", "\(command)"]
                        volumeMounts: [{name: signal, mountPath: /signal}]
                    ---

                    """
            }
            #expect(try await cluster.kubectl("apply", "-f", "-", input: manifest).status == 0)
            var startedAt: [String: String] = [:]
            for index in 0..<20 {
                let pod = try await cluster.waitForPod("p\(index)", timeout: 120) { pod in
                    let status = ((pod["status"] as? [String: Any])?["containerStatuses"] as? [[String: Any]])?.first ?? [:]
                    return (status["state"] as? [String: Any])?["running"] != nil
                }
                let status = ((pod["status"] as? [String: Any])?["containerStatuses"] as? [[String: Any]])?.first ?? [:]
                startedAt["p\(index)"] = ((status["state"] as? [String: Any])?["running"] as? [String: Any])?["startedAt"] as? String
            }
            cluster.killAgent()
            _ = FileManager.default.createFile(atPath: signal + "/go", contents: nil)
            try await Task.sleep(for: .seconds(2))
            try await cluster.startAgent()
            for index in 0..<5 {
                let pod = try await cluster.waitForPod("p\(index)", timeout: 60) { ($0["status"] as? [String: Any])?["phase"] as? String == "Failed" }
                let status = ((pod["status"] as? [String: Any])?["containerStatuses"] as? [[String: Any]])?.first ?? [:]
                let terminated = (status["state"] as? [String: Any])?["terminated"] as? [String: Any] ?? [:]
                #expect(terminated["exitCode"] as? Int == index + 10)
                #expect(status["restartCount"] as? Int == 0)
                let logs = try await cluster.kubectl("logs", "p\(index)")
                #expect(logs.stdout == "started-\(index)\nbye-\(index)\n")
            }
            for index in 5..<20 {
                let pod = try await cluster.pod("p\(index)")
                let status = ((pod["status"] as? [String: Any])?["containerStatuses"] as? [[String: Any]])?.first ?? [:]
                #expect(status["restartCount"] as? Int == 0)
                let running = (status["state"] as? [String: Any])?["running"] as? [String: Any]
                #expect(running?["startedAt"] as? String == startedAt["p\(index)"], "p\(index) was restarted")
            }
            let exec = try await cluster.kubectl("exec", "p19", "--", "echo", "still-here")
            #expect(exec.stdout == "still-here\n")

            // A graceful stop (systemctl stop: SIGTERM) ends the agent with status 0 and leaves
            // the pods running; the node API used to catch SIGTERM itself, stop first, and fail
            // the agent's ServiceGroup (exit 1) while the pod loops were still shutting down.
            #expect(await cluster.terminateAgent() == 0, "agent log:\n\(cluster.agentLog())")
            try await cluster.startAgent()
            // The new agent's node API takes a moment to listen; the pod itself never stopped.
            var after = try await cluster.kubectl("exec", "p19", "--", "echo", "still-here")
            for _ in 0..<60 where after.stdout != "still-here\n" {
                try await Task.sleep(for: .milliseconds(500))
                after = try await cluster.kubectl("exec", "p19", "--", "echo", "still-here")
            }
            #expect(after.stdout == "still-here\n")
        }
    }

    @Test("kubectl top pod and /stats/summary show the pod's cgroup CPU and memory (root)")
    func accounting() async throws {
        try await AgentCluster.with(name: "stats", clusterCIDRBlock: 5) { cluster in
            let manifest = """
                apiVersion: v1
                kind: Pod
                metadata: {name: busy}
                spec:
                  containers:
                  - name: spin
                    image: busybox
                    command: ["/bin/sh", "-c", "dd if=/dev/zero of=/dev/shm/fill bs=1M count=16; while true; do :; done"]
                    resources: {requests: {cpu: 100m, memory: 32Mi}, limits: {cpu: 500m, memory: 64Mi}}
                """
            #expect(try await cluster.kubectl("apply", "-f", "-", input: manifest).status == 0)
            let pod = try await cluster.waitForPod("busy") { ($0["status"] as? [String: Any])?["phase"] as? String == "Running" }
            #expect((pod["status"] as? [String: Any])?["qosClass"] as? String == "Burstable")
            let uid = (pod["metadata"] as? [String: Any])?["uid"] as? String ?? ""
            try await Task.sleep(for: .seconds(3))
            var top = Tools.Output(status: 1, stdout: "", stderr: "")
            for _ in 0..<20 {
                top = try await cluster.kubectl("top", "pod", "busy", "--no-headers")
                if top.status == 0, let cpu = top.stdout.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first,
                    cpu != "0m"
                {
                    break
                }
                try await Task.sleep(for: .seconds(1))
            }
            let cells = top.stdout.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            #expect(top.status == 0, "kubectl top: \(top.stderr)")
            #expect(cells.count >= 3)
            let milliCPU = Int(cells.dropFirst().first?.dropLast() ?? "") ?? 0
            #expect(milliCPU > 100 && milliCPU <= 600, "CPU \(cells) should be near the 500m limit")
            let memoryMi = Int(cells.dropFirst(2).first?.replacingOccurrences(of: "Mi", with: "") ?? "") ?? 0
            #expect(memoryMi > 0)

            // /stats/summary through the server's node proxy matches the pod cgroup's memory file.
            let summary = try await cluster.kubectl("get", "--raw", "/api/v1/nodes/\(cluster.nodeName)/proxy/stats/summary")
            let json = try JSONSerialization.jsonObject(with: Data(summary.stdout.utf8)) as? [String: Any] ?? [:]
            let pods = json["pods"] as? [[String: Any]] ?? []
            let entry = pods.first { ($0["podRef"] as? [String: Any])?["uid"] as? String == uid } ?? [:]
            let usage = (entry["memory"] as? [String: Any])?["usageBytes"] as? Int ?? 0
            let cgroupUsage =
                Int(
                    (try? String(
                        contentsOfFile: "/sys/fs/cgroup/memory/skiff-test-\(cluster.bridge)/burstable/pod\(uid)/memory.usage_in_bytes", encoding: .utf8))?
                        .trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? -1
            #expect(usage > 0)
            #expect(abs(usage - cgroupUsage) < 8 << 20, "summary \(usage) vs cgroup \(cgroupUsage)")
            let cpuNano = (entry["cpu"] as? [String: Any])?["usageNanoCores"] as? Int ?? 0
            #expect(cpuNano > 50_000_000)

            let local = try await Tools.run(
                try Tools.skiffBinary(), ["pods", "--data-dir", cluster.agentData, "--cgroup-root", "skiff-test-\(cluster.bridge)"])
            #expect(local.stdout.contains("busy"))
            #expect(local.stdout.contains("Running"))
        }
    }

    @Test("bad manifests end as pod conditions and events, never an agent crash (root)")
    func badManifests() async throws {
        try await AgentCluster.with(name: "bad", clusterCIDRBlock: 6) { cluster in
            let manifest = """
                apiVersion: v1
                kind: Pod
                metadata: {name: noimage}
                spec:
                  containers: [{name: c, image: "registry.example/nothing:1.0", imagePullPolicy: Never, command: ["true"]}]
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: badcaps}
                spec:
                  containers:
                  - name: c
                    image: busybox
                    command: ["true"]
                    securityContext: {capabilities: {add: ["NOT_A_CAPABILITY"]}}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: missingconfig}
                spec:
                  containers:
                  - name: c
                    image: busybox
                    command: ["true"]
                    env: [{name: X, valueFrom: {configMapKeyRef: {name: absent, key: k}}}]
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: typo}
                spec:
                  dnsPolicy: ClusterFrist
                  containers: [{name: c, image: busybox, command: ["true"]}]
                """
            #expect(try await cluster.kubectl("apply", "-f", "-", input: manifest).status == 0)
            for (name, reason) in [
                ("noimage", "ErrImageNeverPull"), ("badcaps", "CreateContainerConfigError"), ("missingconfig", "CreateContainerConfigError"),
            ] {
                let pod = try await cluster.waitForPod(name) { pod in
                    let status = ((pod["status"] as? [String: Any])?["containerStatuses"] as? [[String: Any]])?.first ?? [:]
                    return ((status["state"] as? [String: Any])?["waiting"] as? [String: Any])?["reason"] as? String == reason
                }
                let status = ((pod["status"] as? [String: Any])?["containerStatuses"] as? [[String: Any]])?.first ?? [:]
                let message = ((status["state"] as? [String: Any])?["waiting"] as? [String: Any])?["message"] as? String ?? ""
                #expect(!message.isEmpty, "\(name) should say why")
                #expect((pod["status"] as? [String: Any])?["phase"] as? String == "Pending")
            }
            // A value the API server does not check but the agent cannot run: an event names the field.
            var typoEvents = ""
            for _ in 0..<60 where !typoEvents.contains("spec.dnsPolicy") {
                typoEvents = try await cluster.kubectl(
                    "get", "events", "--field-selector", "involvedObject.name=typo", "-o", "jsonpath={.items[*].message}"
                ).stdout
                if !typoEvents.contains("spec.dnsPolicy") { try await Task.sleep(for: .seconds(1)) }
            }
            #expect(typoEvents.contains("spec.dnsPolicy: unsupported value \"ClusterFrist\""), "events: \(typoEvents)")
            #expect(cluster.agent?.isRunning == true)
            // A good pod still runs beside them.
            let good = "apiVersion: v1\nkind: Pod\nmetadata: {name: good}\nspec:\n  containers: [{name: c, image: busybox, command: [sleep, '3600']}]\n"
            #expect(try await cluster.kubectl("apply", "-f", "-", input: good).status == 0)
            try await cluster.waitForPod("good") { ($0["status"] as? [String: Any])?["phase"] as? String == "Running" }
        }
    }
}
