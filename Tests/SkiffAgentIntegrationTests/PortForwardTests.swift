import Foundation
import SkiffTestSupport
import Testing

/// `kubectl port-forward` end to end (root): kubectl 1.32's SPDY-over-websocket tunnel through
/// the server to the agent, which connects inside the pod's network namespace.
@Suite("kubectl port-forward through the server and the agent (root)", .serialized)
struct PortForwardTests {
    @Test("port-forward pod/X 18090:80, svc/NAME and deploy/NAME serve repeated and concurrent requests from the host (root)")
    func forwardsRequests() async throws {
        try await AgentCluster.with(name: "pfwd", clusterCIDRBlock: 11) { cluster in
            #expect(try await cluster.kubectl("apply", "-f", "-", input: PortForwardProcess.webManifests(replicas: 1)).status == 0)
            let pod = try await waitForRunningPod(cluster)
            let forward = try await PortForwardProcess(kubeconfig: cluster.server.kubeconfig, ["pod/\(pod)", "18090:80"])
            defer { forward.stop() }
            for _ in 0..<5 {
                let answer = try await PortForwardProcess.curl(18090)
                #expect(answer.status == 0 && answer.stdout == "hello-from-\(pod)\n", "curl: \(answer.stdout) \(answer.stderr)")
            }
            let answers = try await withThrowingTaskGroup(of: Tools.Output.self) { group in
                for _ in 0..<8 { group.addTask { try await PortForwardProcess.curl(18090) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.count == 8)
            #expect(answers.allSatisfy { $0.status == 0 && $0.stdout == "hello-from-\(pod)\n" }, "\(answers.map { $0.stdout + $0.stderr })")

            // kubectl resolves svc/ and deploy/ to a pod itself (the service port to its named targetPort).
            let service = try await PortForwardProcess(kubeconfig: cluster.server.kubeconfig, ["svc/web", "18091:8000"])
            defer { service.stop() }
            #expect(try await PortForwardProcess.curl(18091).stdout == "hello-from-\(pod)\n")
            let deployment = try await PortForwardProcess(kubeconfig: cluster.server.kubeconfig, ["deploy/web", "18092:80"])
            defer { deployment.stop() }
            #expect(try await PortForwardProcess.curl(18092).stdout == "hello-from-\(pod)\n")
            #expect(forward.process.isRunning && service.process.isRunning && deployment.process.isRunning)
        }
    }

    @Test("a port nobody listens on in the pod is an error on that connection, and other forwards keep serving (root)")
    func refusedPort() async throws {
        try await AgentCluster.with(name: "pfref", clusterCIDRBlock: 12) { cluster in
            #expect(try await cluster.kubectl("apply", "-f", "-", input: PortForwardProcess.webManifests(replicas: 1)).status == 0)
            let pod = try await waitForRunningPod(cluster)
            let good = try await PortForwardProcess(kubeconfig: cluster.server.kubeconfig, ["pod/\(pod)", "18093:80"])
            defer { good.stop() }
            let bad = try await PortForwardProcess(kubeconfig: cluster.server.kubeconfig, ["pod/\(pod)", "18094:9999"])
            defer { bad.stop() }
            let refused = try await PortForwardProcess.curl(18094)
            #expect(refused.status != 0)
            for _ in 0..<50 where !bad.stderr.contains("error forwarding port 9999") { try await Task.sleep(for: .milliseconds(100)) }
            #expect(bad.stderr.contains("an error occurred forwarding 18094 -> 9999: error forwarding port 9999 to pod default/\(pod)"))
            #expect(bad.stderr.contains("ECONNREFUSED"), "\(bad.stderr)")
            // The other session's connections are untouched.
            #expect(try await PortForwardProcess.curl(18093).stdout == "hello-from-\(pod)\n")
            #expect(try await PortForwardProcess.curl(18093).stdout == "hello-from-\(pod)\n")
        }
    }

    func waitForRunningPod(_ cluster: AgentCluster) async throws -> String {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let names = try await cluster.kubectl(
                "get", "pods", "-l", "app=pf-web", "--field-selector=status.phase=Running", "-o", "jsonpath={.items[*].metadata.name}")
            if let name = names.stdout.split(separator: " ").first { return String(name) }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw Tools.Failure("no running pf-web pod: \(cluster.agentLog())")
    }
}
