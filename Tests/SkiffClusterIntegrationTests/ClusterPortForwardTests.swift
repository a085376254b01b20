import Foundation
import SkiffTestSupport
import Testing

/// `kubectl port-forward` on `scripts/cluster` hosts: from the test machine through the server
/// host to the agent of whichever host runs the pod.
@Suite("Cluster port-forward (root, multi-host)", .serialized)
struct ClusterPortForwardTests {
    @Test("port-forward to pods on two hosts and to svc/NAME serves repeated and concurrent curls from the test machine")
    func forwardsAcrossHosts() async throws {
        try await TestCluster.with(nodes: 2) { cluster in
            #expect(try await cluster.kubectl(["apply", "-f", "-"], input: PortForwardProcess.webManifests(replicas: 2, spread: true)).status == 0)
            var pods: [String] = []
            for _ in 0..<300 where pods.count < 2 {
                let running = try await cluster.kubectl(
                    "get", "pods", "-l", "app=pf-web", "--field-selector=status.phase=Running", "-o", "jsonpath={.items[*].metadata.name}")
                pods = running.stdout.split(separator: " ").map(String.init)
                if pods.count < 2 { try await Task.sleep(for: .milliseconds(200)) }
            }
            #expect(pods.count == 2, "two running pods: \(pods)")
            for (index, pod) in pods.enumerated() {
                let forward = try await PortForwardProcess(kubeconfig: cluster.kubeconfig, ["pod/\(pod)", "\(18100 + index):80"])
                defer { forward.stop() }
                let answers = try await withThrowingTaskGroup(of: Tools.Output.self) { group in
                    for _ in 0..<6 { group.addTask { try await PortForwardProcess.curl(18100 + index) } }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(answers.allSatisfy { $0.stdout == "hello-from-\(pod)\n" }, "\(answers.map { $0.stdout + $0.stderr })")
                #expect(try await PortForwardProcess.curl(18100 + index).stdout == "hello-from-\(pod)\n")
            }
            let service = try await PortForwardProcess(kubeconfig: cluster.kubeconfig, ["svc/web", "18102:8000"])
            defer { service.stop() }
            let answer = try await PortForwardProcess.curl(18102)
            #expect(pods.map { "hello-from-\($0)\n" }.contains(answer.stdout), "\(answer)")
        }
    }
}
