import Foundation
import SkiffTestSupport

/// A one-node cluster for a test: a real `skiff server` (or several on one etcd) and a real
/// `skiff agent` (root, real namespaces, cgroups, CNI bridge and overlay mounts) with the busybox
/// image imported. Its bridge and pod CIDR are its own, and `stop()` tears down every pod it ran.
final class AgentCluster: @unchecked Sendable {
    // @unchecked: the processes are only touched by the owning test, never concurrently.
    /// The agent is given all of them, in this order.
    let servers: [ServerProcess]
    let directory: String
    var agent: Process?
    let bridge: String
    let podCIDR: String
    /// Added to the agent's command line (thresholds, periods a test needs).
    let agentArguments: [String]

    /// Servers a test made unresponsive while their process lives on (stopped with SIGSTOP).
    var frozen: Set<ObjectIdentifier> = []
    /// The first server still running and answering: the one kubectl talks to.
    var server: ServerProcess { servers.first { $0.process.isRunning && !frozen.contains(ObjectIdentifier($0)) } ?? servers[0] }
    var agentData: String { directory + "/agent" }
    var podLogs: String { directory + "/logs" }
    var runtimeRoot: String { directory + "/runc" }

    /// Runs `body` against a fresh cluster and always tears it down afterwards.
    /// `prepare` runs before busybox is imported and the agent starts (to mount the agent's data
    /// directory somewhere, say).
    static func with(
        name: String, clusterCIDRBlock: Int, agentArguments: [String] = [], prepare: (AgentCluster) async throws -> Void = { _ in },
        _ body: (AgentCluster) async throws -> Void
    ) async throws {
        let cluster = try await start(name: name, clusterCIDRBlock: clusterCIDRBlock, agentArguments: agentArguments, prepare: prepare)
        do {
            try await body(cluster)
        } catch {
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    /// With `servers` (made by `clusterArguments`), the agent uses them instead of a server of its own.
    static func start(
        name: String, clusterCIDRBlock: Int, servers: [ServerProcess]? = nil, agentArguments: [String] = [],
        prepare: (AgentCluster) async throws -> Void = { _ in }
    ) async throws -> AgentCluster {
        let cidr = cidr(clusterCIDRBlock)
        var servers = servers ?? []
        if servers.isEmpty { servers = [try await ServerProcess.start(extraArguments: clusterArguments(clusterCIDRBlock: clusterCIDRBlock))] }
        let cluster = AgentCluster(servers: servers, bridge: "skt\(name.prefix(10))", podCIDR: cidr, agentArguments: agentArguments)
        do {
            try await prepare(cluster)
            try await cluster.importBusybox()
            try await cluster.startAgent()
            try await cluster.waitForNodeReady()
        } catch {
            await cluster.stop()
            throw error
        }
        return cluster
    }

    static func cidr(_ block: Int) -> String { "10.\(200 + block).0.0/16" }

    /// The server flags a cluster with this CIDR block needs.
    static func clusterArguments(clusterCIDRBlock: Int) -> [String] { ["--cluster-cidr", cidr(clusterCIDRBlock)] }

    private init(servers: [ServerProcess], bridge: String, podCIDR: String, agentArguments: [String]) {
        self.servers = servers
        self.agentArguments = agentArguments
        self.directory = servers[0].directory + "/node"
        self.bridge = bridge
        self.podCIDR = podCIDR
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// rootfs/build.sh's OCI layout, built once per test process.
    static let busyboxLayout: String = {
        let output = NSTemporaryDirectory() + "skiff-agent-images-\(getpid())"
        let script = Binaries.repository + "/rootfs/build.sh"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script, output]
        process.standardOutput = FileHandle.nullDevice
        try? process.runReleasingStdio()
        process.waitUntilExit()
        return output + "/busybox.oci"
    }()

    func importBusybox() async throws {
        let result = try await Tools.run(try Tools.skiffBinary(), ["image", "import", Self.busyboxLayout, "--data-dir", agentData])
        guard result.status == 0 else { throw Tools.Failure("image import failed: \(result.stderr)") }
    }

    func startAgent() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Tools.skiffBinary())
        var arguments = [
            "agent", "--server", try servers.map { try $0.url }.joined(separator: ","),
            "--token-file", server.directory + "/node-token", "--data-dir", agentData, "--pod-log-dir", podLogs,
            "--node-name", "node-\(bridge)", "--node-api-port", "0", "--runtime-root", runtimeRoot,
            "--runtime", Binaries.skiffRunc, "--monitor", Binaries.monitor, "--bridge", bridge,
            "--cgroup-root", "skiff-test-\(bridge)", "--log-level", "debug",
            // Several of these agents share the host: the node-wide parts of the cluster network
            // (the DNS address, the nftables tables, the routes) are tested on scripts/cluster's hosts.
            "--cluster-dns", "", "--proxy-mode", "none", "--pod-network", "none", "--network-policy", "none",
        ]
        arguments += agentArguments
        process.arguments = arguments
        let logPath = directory + "/agent.log"
        if !FileManager.default.fileExists(atPath: logPath) { _ = FileManager.default.createFile(atPath: logPath, contents: nil) }
        let log = FileHandle(forWritingAtPath: logPath)
        log?.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        try process.runReleasingStdio()
        agent = process
    }

    var nodeName: String { "node-\(bridge)" }

    func waitForNodeReady() async throws {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let result = try await kubectl("get", "node", nodeName, "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}")
            if result.stdout == "True" { return }
            guard agent?.isRunning == true else { throw Tools.Failure("agent exited: \(agentLog())") }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw Tools.Failure("node \(nodeName) did not become Ready: \(agentLog())")
    }

    func agentLog() -> String {
        String(((try? String(contentsOfFile: directory + "/agent.log", encoding: .utf8)) ?? "").suffix(4000))
    }

    func kubectl(_ arguments: String..., input: String? = nil, timeout: TimeInterval = 60) async throws -> Tools.Output {
        try await Tools.run(try await Tools.kubectl(), ["--kubeconfig", server.kubeconfig] + arguments, input: input, timeout: timeout)
    }

    func kubectl(arguments: [String], input: String? = nil, timeout: TimeInterval = 60) async throws -> Tools.Output {
        try await Tools.run(try await Tools.kubectl(), ["--kubeconfig", server.kubeconfig] + arguments, input: input, timeout: timeout)
    }

    /// The pod as JSON.
    func pod(_ name: String) async throws -> [String: Any] {
        let result = try await kubectl("get", "pod", name, "-o", "json")
        guard result.status == 0, let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw Tools.Failure("get pod \(name): \(result.stderr)")
        }
        return object
    }

    /// Polls until `condition` holds for the pod, returning it; fails with the pod and agent log.
    @discardableResult
    func waitForPod(_ name: String, timeout: TimeInterval = 60, _ condition: ([String: Any]) -> Bool) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        var last: [String: Any] = [:]
        while Date() < deadline {
            if let pod = try? await pod(name) {
                last = pod
                if condition(pod) { return pod }
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw Tools.Failure("pod \(name) did not reach the expected state; last status: \(last["status"] ?? "none")\nagent log:\n\(agentLog())")
    }

    func killAgent() {
        guard let agent, agent.isRunning else { return }
        kill(agent.processIdentifier, SIGKILL)
        agent.waitUntilExit()
    }

    /// Stops the agent as systemd does (SIGTERM) and returns its exit status: nil when it had
    /// not exited after 20 s (then it is killed).
    func terminateAgent() async -> Int32? {
        guard let agent, agent.isRunning else { return nil }
        agent.terminate()
        for _ in 0..<200 where agent.isRunning { try? await Task.sleep(for: .milliseconds(100)) }
        if agent.isRunning {
            killAgent()
            return nil
        }
        return agent.terminationStatus
    }

    /// Deletes every pod (so the agent tears down their sandboxes), then stops both processes
    /// and removes what is left: the bridge, cgroups and the state directories.
    func stop() async {
        if let agent, agent.isRunning {
            _ = try? await kubectl("delete", "pods", "--all", "--wait=true", "--timeout=60s", timeout: 90)
            agent.terminate()
            for _ in 0..<100 where agent.isRunning { try? await Task.sleep(for: .milliseconds(100)) }
            if agent.isRunning { kill(agent.processIdentifier, SIGKILL) }
        }
        for server in servers { server.stop(removeDirectory: false) }
        // Anything a failed test left: containers, mounts, the bridge.
        Self.shell(
            """
            for id in $(ls \(runtimeRoot) 2>/dev/null); do \(Binaries.skiffRunc) --root \(runtimeRoot) delete --force $id; done
            grep -o ' \(directory)[^ ]*' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l
            ip link del \(bridge) 2>/dev/null
            for c in /sys/fs/cgroup/*/skiff-test-\(bridge) /sys/fs/cgroup/unified/skiff-test-\(bridge); do
              [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} \\; 2>/dev/null
            done
            true
            """)
        // The last run's agent log stays for whoever debugs a failure.
        let kept = NSTemporaryDirectory() + "skiff-agent-\(bridge).log"
        try? FileManager.default.removeItem(atPath: kept)
        try? FileManager.default.copyItem(atPath: directory + "/agent.log", toPath: kept)
        for server in servers { try? FileManager.default.removeItem(atPath: server.directory) }
    }

    @discardableResult
    static func shell(_ script: String) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try? process.runReleasingStdio()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// The binaries the agent tests run.
enum Binaries {
    static let repository: String = {
        if let explicit = ProcessInfo.processInfo.environment["SKIFF_REPO"] { return explicit }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }()

    /// $SKIFF_RUNC, else the static release build `scripts/test` makes, else the debug build.
    static let skiffRunc: String = {
        let candidates = [
            ProcessInfo.processInfo.environment["SKIFF_RUNC"], repository + "/.build-runc/release/skiff-runc",
            (try? Tools.skiffBinary()).map { URL(fileURLWithPath: $0).deletingLastPathComponent().path + "/skiff-runc" },
        ].compactMap { $0 }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? "skiff-runc"
    }()

    static let monitor: String = {
        let candidates = [
            ProcessInfo.processInfo.environment["SKIFF_MONITOR"], repository + "/.build-runc/release/skiff-monitor",
            (try? Tools.skiffBinary()).map { URL(fileURLWithPath: $0).deletingLastPathComponent().path + "/skiff-monitor" },
        ].compactMap { $0 }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? "skiff-monitor"
    }()
}
