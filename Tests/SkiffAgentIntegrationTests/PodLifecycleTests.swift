import Foundation
import SkiffTestSupport
import Testing

/// The agent end to end with real kubectl (root: namespaces, cgroups, CNI, overlayfs). One
/// cluster at a time: each has its own bridge and CIDR, but iptables and the CPU are shared.
@Suite("skiff agent with real kubectl (root)", .serialized)
struct PodLifecycleTests {
    static let busyboxPod = """
        apiVersion: v1
        kind: Pod
        metadata: {name: hello, labels: {app: hello}}
        spec:
          terminationGracePeriodSeconds: 2
          containers:
          - name: main
            image: busybox
            command: ["/bin/sh", "-c", "i=0; while true; do echo line $i; i=$((i+1)); sleep 0.2; done"]
        """

    @Test("a busybox pod runs with a pod IP, streams logs, runs exec, and is cleaned up on delete (root)")
    func podRunsLogsExecDelete() async throws {
        try await AgentCluster.with(name: "life", clusterCIDRBlock: 1) { cluster in
            #expect(try await cluster.kubectl("apply", "-f", "-", input: Self.busyboxPod).status == 0)
            let pod = try await cluster.waitForPod("hello") { ($0["status"] as? [String: Any])?["phase"] as? String == "Running" }
            let status = pod["status"] as? [String: Any] ?? [:]
            let podIP = status["podIP"] as? String ?? ""
            #expect(podIP.hasPrefix("10.201."), "pod IP \(podIP) should come from the node's CIDR")
            #expect(status["qosClass"] as? String == "BestEffort")
            let containerStatus = (status["containerStatuses"] as? [[String: Any]])?.first ?? [:]
            #expect(containerStatus["ready"] as? Bool == true)
            let containerID = (containerStatus["containerID"] as? String ?? "").replacingOccurrences(of: "skiff://", with: "")
            #expect(containerID.count == 64)

            // logs -f streams: a follow started now sees lines written after it started.
            try await Task.sleep(for: .seconds(1))
            let followed = try await Tools.runUntil(
                try await Tools.kubectl(), ["--kubeconfig", cluster.server.kubeconfig, "logs", "-f", "hello", "--tail=1"], seconds: 2.5)
            let lines = followed.split(separator: "\n")
            #expect(lines.count >= 5, "logs -f should stream new lines for 2.5 s, got \(lines)")
            #expect(lines.allSatisfy { $0.hasPrefix("line ") })
            let tail = try await cluster.kubectl("logs", "hello", "--tail=3", "--timestamps")
            #expect(tail.stdout.split(separator: "\n").count == 3)
            #expect(tail.stdout.contains("Z line "))

            // exec: output and exit code come back through the server and the agent.
            let exec = try await cluster.kubectl("exec", "hello", "--", "/bin/sh", "-c", "hostname; echo err >&2; exit 7")
            #expect(exec.status == 7)
            #expect(exec.stdout == "hello\n")
            #expect(exec.stderr.contains("err"))
            let ip = try await cluster.kubectl("exec", "hello", "--", "/bin/sh", "-c", "ip -4 addr show eth0 | grep -o 'inet [0-9.]*'")
            #expect(ip.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "inet \(podIP)")

            // exec -it: kubectl on a real terminal (script's pty, sized 33x101) sends its size as
            // a resize event, and the container's pty takes it. The event races the command's
            // start, as it does with the kubelet, so the command polls until the size is set.
            let kubectl = try await Tools.kubectl()
            let terminal = try await Tools.run(
                "/usr/bin/script",
                [
                    "-qec",
                    "stty rows 33 cols 101; \(kubectl) --kubeconfig \(cluster.server.kubeconfig) exec -it hello -- sh -c 'for i in $(seq 50); do s=$(stty size 2>/dev/null); [ -n \"$s\" ] && [ \"$s\" != \"0 0\" ] && break; sleep 0.2; done; echo size=$s'",
                    "/dev/null",
                ])
            #expect(terminal.status == 0, "kubectl exec -it under script: \(terminal)")
            #expect(terminal.stdout.contains("size=33 101"), "the container's terminal size: \(terminal.stdout.debugDescription)")

            // delete: gone from the API, and its cgroup, netns, mounts and monitor with it.
            let uid = (pod["metadata"] as? [String: Any])?["uid"] as? String ?? ""
            #expect(try await cluster.kubectl("delete", "pod", "hello", "--timeout=60s").status == 0)
            #expect(try await cluster.kubectl("get", "pod", "hello").status != 0)
            let mountinfo = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
            #expect(!mountinfo.contains(containerID), "the container's overlay is still mounted")
            #expect(!mountinfo.contains(uid), "the pod's namespaces or volumes are still mounted")
            #expect(!FileManager.default.fileExists(atPath: "/sys/fs/cgroup/memory/skiff-test-\(cluster.bridge)/besteffort/pod\(uid)"))
            let monitors = try await Tools.run("/usr/bin/pgrep", ["-f", "skiff-monitor.*\(containerID)"])
            #expect(monitors.stdout.isEmpty, "the container's monitor is still running")
            #expect(!FileManager.default.fileExists(atPath: cluster.runtimeRoot + "/" + containerID))
        }
    }

    @Test("a limits-only (Guaranteed) pod runs where root lacks CAP_SYS_RESOURCE; its oom_score_adj is -997 or, without the capability, the agent's own (root)")
    func guaranteedPodRunsWithoutCapSysResource() async throws {
        let manifest = """
            apiVersion: v1
            kind: Pod
            metadata: {name: steady}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: main
                image: busybox
                command: ["sleep", "3600"]
                resources: {limits: {memory: 64Mi, cpu: 500m}}
            """
        // The agent inherits this process's score and capabilities.
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let effective =
            status.split(separator: "\n").first { $0.hasPrefix("CapEff:") }
            .flatMap { UInt64($0.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16) } ?? 0
        let ownScore =
            Int(
                try String(contentsOfFile: "/proc/self/oom_score_adj", encoding: .utf8)
                    .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        let expected = effective & (1 << 24) != 0 ? -997 : max(-997, ownScore)
        try await AgentCluster.with(name: "qos", clusterCIDRBlock: 8) { cluster in
            #expect(try await cluster.kubectl("apply", "-f", "-", input: manifest).status == 0)
            let pod = try await cluster.waitForPod("steady", timeout: 60) { ($0["status"] as? [String: Any])?["phase"] as? String == "Running" }
            #expect((pod["status"] as? [String: Any])?["qosClass"] as? String == "Guaranteed")
            let score = try await cluster.kubectl("exec", "steady", "--", "cat", "/proc/1/oom_score_adj")
            #expect(score.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "\(expected)", "oom_score_adj: \(score)")
        }
    }

    @Test("two pods reach each other by pod IP, and a hostPort reaches a pod from the host (root)")
    func podNetworking() async throws {
        try await AgentCluster.with(name: "net", clusterCIDRBlock: 2) { cluster in
            let manifest = """
                apiVersion: v1
                kind: Pod
                metadata: {name: server}
                spec:
                  containers:
                  - name: web
                    image: busybox
                    command: ["/bin/sh", "-c", "echo served-by-$(hostname) > /tmp/index.html; httpd -f -p 8080 -h /tmp"]
                    ports: [{containerPort: 8080, hostPort: 18080}]
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: client}
                spec:
                  containers:
                  - name: main
                    image: busybox
                    command: ["sleep", "3600"]
                """
            #expect(try await cluster.kubectl("apply", "-f", "-", input: manifest).status == 0)
            let server = try await cluster.waitForPod("server") { ($0["status"] as? [String: Any])?["phase"] as? String == "Running" }
            try await cluster.waitForPod("client") { ($0["status"] as? [String: Any])?["phase"] as? String == "Running" }
            let serverIP = (server["status"] as? [String: Any])?["podIP"] as? String ?? ""
            let hostIP = (server["status"] as? [String: Any])?["hostIP"] as? String ?? ""
            var fetched = ""
            for _ in 0..<30 {
                fetched = try await cluster.kubectl("exec", "client", "--", "wget", "-q", "-O", "-", "http://\(serverIP):8080/index.html").stdout
                if fetched.contains("served-by") { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(fetched == "served-by-server\n")
            let viaHostPort = try await Tools.run("/usr/bin/busybox", ["wget", "-q", "-O", "-", "http://\(hostIP):18080/index.html"], timeout: 10)
            #expect(viaHostPort.stdout == "served-by-server\n", "hostPort 18080 on \(hostIP): \(viaHostPort.stderr)")
        }
    }

    @Test("an OOM-killed container is reported OOMKilled and restarted with back-off; a failing liveness probe restarts a container (root)")
    func restartsOOMAndLiveness() async throws {
        try await AgentCluster.with(name: "restart", clusterCIDRBlock: 3) { cluster in
            let manifest = """
                apiVersion: v1
                kind: Pod
                metadata: {name: hog}
                spec:
                  volumes: [{name: data, emptyDir: {}}]
                  containers:
                  - name: hog
                    image: busybox
                    # Each run logs its number (kept in the pod's emptyDir) before it blows the limit.
                    command: ["/bin/sh", "-c", "n=$(cat /data/n 2>/dev/null || echo 0); echo run $n; echo $((n + 1)) > /data/n; exec awk 'BEGIN { s = \\"a\\"; while (1) s = s s }'"]
                    volumeMounts: [{name: data, mountPath: /data}]
                    resources: {limits: {memory: 20Mi}}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: sick}
                spec:
                  terminationGracePeriodSeconds: 2
                  containers:
                  - name: app
                    image: busybox
                    command: ["/bin/sh", "-c", "touch /tmp/healthy; sleep 2; rm /tmp/healthy; sleep 3600"]
                    livenessProbe:
                      exec: {command: ["cat", "/tmp/healthy"]}
                      periodSeconds: 1
                      failureThreshold: 2
                """
            #expect(try await cluster.kubectl("apply", "-f", "-", input: manifest).status == 0)
            let hog = try await cluster.waitForPod("hog", timeout: 90) { pod in
                let status = ((pod["status"] as? [String: Any])?["containerStatuses"] as? [[String: Any]])?.first ?? [:]
                return (status["restartCount"] as? Int ?? 0) >= 2
            }
            let hogStatus = ((hog["status"] as? [String: Any])?["containerStatuses"] as? [[String: Any]])?.first ?? [:]
            let last = (hogStatus["lastState"] as? [String: Any])?["terminated"] as? [String: Any] ?? [:]
            #expect(last["reason"] as? String == "OOMKilled")
            #expect(last["exitCode"] as? Int == 137)
            // The second restart waits out a back-off: CrashLoopBackOff shows while it does.
            let backingOff = try await cluster.waitForPod("hog", timeout: 30) { pod in
                let status = ((pod["status"] as? [String: Any])?["containerStatuses"] as? [[String: Any]])?.first ?? [:]
                return ((status["state"] as? [String: Any])?["waiting"] as? [String: Any])?["reason"] as? String == "CrashLoopBackOff"
            }
            #expect(backingOff["status"] != nil)
            // --previous while backing off is the run that just died (lastState), as in the kubelet.
            let waitingStatus = ((backingOff["status"] as? [String: Any])?["containerStatuses"] as? [[String: Any]])?.first ?? [:]
            let diedRun = waitingStatus["restartCount"] as? Int ?? -1
            let previous = try await cluster.kubectl("logs", "hog", "--previous")
            #expect(previous.stdout == "run \(diedRun)\n", "kubectl logs --previous in CrashLoopBackOff (restartCount \(diedRun)): \(previous)")
            let events = try await cluster.kubectl("get", "events", "--field-selector", "involvedObject.name=hog", "-o", "jsonpath={.items[*].reason}")
            #expect(events.stdout.contains("OOMKilling"))
            #expect(events.stdout.contains("BackOff"))

            let sick = try await cluster.waitForPod("sick", timeout: 60) { pod in
                let status = ((pod["status"] as? [String: Any])?["containerStatuses"] as? [[String: Any]])?.first ?? [:]
                return (status["restartCount"] as? Int ?? 0) >= 1 && ((status["state"] as? [String: Any])?["running"] != nil)
            }
            let sickStatus = ((sick["status"] as? [String: Any])?["containerStatuses"] as? [[String: Any]])?.first ?? [:]
            let sickLast = (sickStatus["lastState"] as? [String: Any])?["terminated"] as? [String: Any] ?? [:]
            #expect(sickLast["exitCode"] as? Int == 143 || sickLast["exitCode"] as? Int == 137)
            let sickEvents = try await cluster.kubectl("get", "events", "--field-selector", "involvedObject.name=sick", "-o", "jsonpath={.items[*].reason}")
            #expect(sickEvents.stdout.contains("Unhealthy"))
            #expect(sickEvents.stdout.contains("Killing"))
        }
    }
}

@Suite("host-process pods (root)", .serialized)
struct HostProcessPodTests {
    @Test("image skiff.dev/host runs a host program with the host's root read-only, a private /tmp and its own pid namespace (root)")
    func hostProcessPod() async throws {
        try await AgentCluster.with(name: "host", clusterCIDRBlock: 7) { cluster in
            let marker = "skiff-host-\(getpid())"
            let manifest = """
                apiVersion: v1
                kind: Pod
                metadata: {name: hostproc}
                spec:
                  terminationGracePeriodSeconds: 1
                  containers:
                  - name: main
                    image: skiff.dev/host
                    command: ["/bin/sh", "-c", "head -1 /etc/os-release; touch /etc/\(marker) || echo readonly; touch /tmp/\(marker); ls /tmp; echo pid $$; exec sleep 3600"]
                """
            #expect(try await cluster.kubectl("apply", "-f", "-", input: manifest).status == 0)
            try await cluster.waitForPod("hostproc") { ($0["status"] as? [String: Any])?["phase"] as? String == "Running" }
            var logs = ""
            for _ in 0..<50 {
                logs = try await cluster.kubectl("logs", "hostproc").stdout
                if logs.contains("pid ") { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            let hostRelease = try String(contentsOfFile: "/etc/os-release", encoding: .utf8).split(separator: "\n").first.map(String.init) ?? ""
            #expect(logs.hasPrefix(hostRelease + "\n"), "the host's files are visible: \(logs)")
            #expect(logs.contains("readonly\n"))
            #expect(logs.contains("\(marker)\n"))
            #expect(logs.contains("pid 1\n"))
            #expect(!FileManager.default.fileExists(atPath: "/etc/\(marker)"))
            #expect(!FileManager.default.fileExists(atPath: "/tmp/\(marker)"), "/tmp is the pod's own")
        }
    }
}
