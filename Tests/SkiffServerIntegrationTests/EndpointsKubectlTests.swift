import Foundation
import SkiffTestSupport
import Testing

/// Real kubectl against a real `skiff server`: the endpoint controllers publish a Service's pods
/// in EndpointSlices and Endpoints, and the server its own address for `kubernetes`.
@Suite(.serialized) struct EndpointsKubectlTests {
    static let manifests = """
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec:
          selector: {app: web}
          ports: [{name: http, port: 80, targetPort: http}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: web-0, labels: {app: web}}
        spec:
          nodeName: node-1
          containers: [{name: c, image: busybox, ports: [{name: http, containerPort: 8080}]}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: web-1, labels: {app: web}}
        spec:
          nodeName: node-1
          containers: [{name: c, image: busybox, ports: [{name: http, containerPort: 8080}]}]
        """

    /// Polls a kubectl command until `done` holds for its output (10 s at most).
    func eventually(_ server: ServerProcess, _ arguments: [String], _ done: (Tools.Output) -> Bool) async throws -> Tools.Output {
        try await server.kubectl(arguments, until: done)
    }

    @Test("kubectl get endpointslices and endpoints show the pods' IPs; endpoints kubernetes shows the server")
    func endpointsThroughKubectl() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        let applied = try await server.kubectl("apply", "-f", "-", input: Self.manifests)
        #expect(applied.status == 0, "kubectl apply failed: \(applied.stderr)")
        // No agent runs here: report the pods running and ready the way an agent does.
        for (pod, ip) in [("web-0", "10.42.0.20"), ("web-1", "10.42.0.21")] {
            let status = #"{"status":{"phase":"Running","podIP":"\#(ip)","podIPs":[{"ip":"\#(ip)"}],"conditions":[{"type":"Ready","status":"True"}]}}"#
            let patched = try await server.kubectl("patch", "pod", pod, "--subresource=status", "--type=merge", "-p", status)
            #expect(patched.status == 0, "kubectl patch failed: \(patched.stderr)")
        }
        let slices = try await eventually(server, ["get", "endpointslices", "-l", "kubernetes.io/service-name=web"]) {
            $0.stdout.contains("10.42.0.20,10.42.0.21")
        }
        #expect(slices.stdout.contains("10.42.0.20,10.42.0.21"), "\(slices.stdout) \(slices.stderr)")
        #expect(slices.stdout.contains("IPv4"))
        #expect(slices.stdout.contains("8080"))
        let endpoints = try await eventually(server, ["get", "endpoints", "web"]) { $0.stdout.contains("10.42.0.20:8080,10.42.0.21:8080") }
        #expect(endpoints.stdout.contains("10.42.0.20:8080,10.42.0.21:8080"), "\(endpoints.stdout) \(endpoints.stderr)")

        let url = try await server.kubectl("config", "view", "-o", "jsonpath={.clusters[0].cluster.server}").stdout
        let port = url.split(separator: ":").last.map(String.init) ?? ""
        #expect(!port.isEmpty)
        let kubernetes = try await eventually(server, ["get", "endpoints", "kubernetes"]) { $0.stdout.contains("127.0.0.1:\(port)") }
        #expect(kubernetes.stdout.contains("127.0.0.1:\(port)"), "\(kubernetes.stdout) \(kubernetes.stderr)")
    }
}
