import Foundation
import SkiffTestSupport
import Testing

/// The same kubectl and Python flows with `--datastore-endpoint` pointing at a real etcd-server.
@Suite struct EtcdBackendTests {
    @Test func kubectlAppliesListsWatchesAndDeletesOnEtcd() async throws {
        let etcd = try EtcdProcess()
        defer { etcd.stop() }
        let server = try await ServerProcess.start(extraArguments: ["--datastore-endpoint", etcd.endpoint])
        defer { server.stop() }
        #expect(!FileManager.default.fileExists(atPath: server.directory + "/state.db"))
        let namespaces = Tools.rows(try await server.kubectl("get", "namespaces").stdout)
        #expect(namespaces.dropFirst().map { $0[0] } == ["default", "kube-node-lease", "kube-public", "kube-system"])
        let created = try await server.kubectl("apply", "-f", "-", input: Manifests.deployment(image: "nginx:1.25"))
        #expect(created.status == 0, "\(created.stderr)")
        let updated = try await server.kubectl("apply", "-f", "-", input: Manifests.deployment(image: "nginx:1.26", replicas: 3))
        #expect(updated.stdout.contains("deployment.apps/web configured"))
        #expect(try await server.kubectl("get", "deployment", "web", "-o", "jsonpath={.spec.replicas} {.metadata.generation}").stdout == "3 2")
        #expect(try await server.kubectl("scale", "deployment", "web", "--replicas=1").status == 0)
        #expect(try await server.kubectl("label", "pod", "solo", "tier=backend").stdout == "pod/solo labeled\n")
        #expect(try await server.kubectl("get", "pods", "-l", "tier=backend", "-o", "name").stdout == "pod/solo\n")
        let deleted = try await server.kubectl("delete", "pod", "solo")
        #expect(deleted.stdout == "pod \"solo\" deleted\n", "\(deleted.stderr)")
        #expect(try await server.kubectl("create", "namespace", "team-a").stdout == "namespace/team-a created\n")
    }

    @Test func pythonClientRoundTripOnEtcd() async throws {
        let etcd = try EtcdProcess()
        defer { etcd.stop() }
        let server = try await ServerProcess.start(extraArguments: ["--datastore-endpoint", etcd.endpoint])
        defer { server.stop() }
        let python = try #require(Tools.which("python3"))
        let scriptPath = server.directory + "/client.py"
        try PythonClientTests.script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        let result = try await Tools.run(python, [scriptPath, server.kubeconfig], timeout: 60)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
    }
}
