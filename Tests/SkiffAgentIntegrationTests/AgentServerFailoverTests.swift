import Foundation
import SkiffTestSupport
import Testing

@Suite("skiff agent with two servers on one etcd (root)", .serialized)
struct AgentServerFailoverTests {
    static let podManifest = """
        apiVersion: v1
        kind: Pod
        metadata: {name: NAME}
        spec:
          nodeName: NODE
          terminationGracePeriodSeconds: 1
          containers:
          - name: main
            image: busybox
            command: ["sleep", "3600"]
        """

    static func pod(_ name: String, node: String) -> String {
        podManifest.replacingOccurrences(of: "NAME", with: name).replacingOccurrences(of: "NODE", with: node)
    }

    static func running(_ pod: [String: Any]) -> Bool {
        let status = ((pod["status"] as? [String: Any])?["containerStatuses"] as? [[String: Any]])?.first ?? [:]
        return (status["state"] as? [String: Any])?["running"] != nil
    }

    /// How the server the agent uses fails.
    enum ServerFailure: String, CaseIterable, CustomTestStringConvertible {
        /// kill -9: the kernel closes its connections, the agent's watches break at once.
        case killed
        /// SIGSTOP: its connections stay open and silent; requests time out (30 s), and the
        /// watches must be ended by the switch, as with a host gone from the network.
        case frozen

        var testDescription: String { rawValue }
    }

    @Test(
        "an agent given both servers keeps working after the one it uses is killed -9 or frozen: its pod runs on, a new pod starts, the node stays Ready (root)",
        arguments: ServerFailure.allCases)
    func failsOverToTheOtherServer(failure: ServerFailure) async throws {
        let etcd = try EtcdProcess()
        defer { etcd.stop() }
        let block = failure == .killed ? 11 : 12
        // Short leader election, so the second server's controllers take over soon after the kill
        // (the node lifecycle controller then judges the node by the leases the agent renews there).
        let flags =
            AgentCluster.clusterArguments(clusterCIDRBlock: block) + ["--datastore-endpoint", etcd.endpoint]
            + ["--leader-elect-lease-duration=4s", "--leader-elect-renew-deadline=3s", "--leader-elect-retry-period=500ms"]
        let first = try await ServerProcess.start(extraArguments: flags)
        let second: ServerProcess
        do {
            second = try await ServerProcess.startJoining(first, extraArguments: flags)
        } catch {
            first.stop()
            throw error
        }
        let cluster = try await AgentCluster.start(name: "fo\(failure.rawValue)", clusterCIDRBlock: block, servers: [first, second])
        do {
            try await exercise(cluster, first: first, second: second, failure: failure)
        } catch {
            // A frozen server would take SIGTERM only once continued.
            if first.process.isRunning { first.kill9() }
            await cluster.stop()
            throw error
        }
        if first.process.isRunning { first.kill9() }
        await cluster.stop()
    }

    /// The agent's whole log (`agentLog()` is its tail).
    func fullLog(_ cluster: AgentCluster) throws -> String { try String(contentsOfFile: cluster.directory + "/agent.log", encoding: .utf8) }

    func exercise(_ cluster: AgentCluster, first: ServerProcess, second: ServerProcess, failure: ServerFailure) async throws {
        #expect(try await cluster.kubectl("apply", "-f", "-", input: Self.pod("before", node: cluster.nodeName)).status == 0)
        let before = try await cluster.waitForPod("before", timeout: 60, Self.running)
        let containerID = ((before["status"] as? [String: Any])?["containerStatuses"] as? [[String: Any]])?.first?["containerID"] as? String
        #expect(try !fullLog(cluster).contains("switching to the next one"), "the agent switched before any server failed")

        switch failure {
        case .killed: first.kill9()
        case .frozen:
            kill(first.process.processIdentifier, SIGSTOP)
            cluster.frozen.insert(ObjectIdentifier(first))
        }
        let killed = Date()
        // kubectl now talks to the second server.
        #expect(cluster.server === second)
        #expect(try await cluster.kubectl("apply", "-f", "-", input: Self.pod("after", node: cluster.nodeName)).status == 0)
        try await cluster.waitForPod("after", timeout: 120, Self.running)
        print(
            "server failover (\(failure.rawValue)): a pod created after the failure ran \(String(format: "%.1f", Date().timeIntervalSince(killed))) s after it")
        let switched = try fullLog(cluster).split(separator: "\n").filter { $0.contains("switching to the next one") }
        let secondURL = try second.url
        #expect(!switched.isEmpty && switched.allSatisfy { $0.contains("to=\(secondURL)") }, "\(switched)\n\(cluster.agentLog())")

        // The first pod ran on throughout: the same container, never restarted.
        let still = try await cluster.pod("before")
        let status = ((still["status"] as? [String: Any])?["containerStatuses"] as? [[String: Any]])?.first ?? [:]
        #expect(Self.running(still))
        #expect(status["containerID"] as? String == containerID)
        #expect(status["restartCount"] as? Int == 0)

        // The node's heartbeat goes on through the second server: its Lease keeps being renewed
        // and the node stays Ready.
        let lease = { try await cluster.kubectl("get", "lease", "-n", "kube-node-lease", cluster.nodeName, "-o", "jsonpath={.spec.renewTime}").stdout }
        let renewed = try await lease()
        var later = renewed
        for _ in 0..<60 where later == renewed {
            try await Task.sleep(for: .milliseconds(500))
            later = try await lease()
        }
        #expect(later != renewed, "the node lease was not renewed after the kill")
        let ready = try await cluster.kubectl("get", "node", cluster.nodeName, "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}")
        #expect(ready.stdout == "True")
    }
}
