import Foundation
import SkiffAPI
import SkiffNodeAPI
import Testing

@Suite("Node API server (agent side) over real HTTPS")
struct NodeAPIServerTests {
    let client = NodeAPIClient()

    @Test("requests without the node's own credential get 401; /healthz is open")
    func authentication() async throws {
        try await NodeAPITestServer.with { endpoint, _ in
            var stranger = endpoint
            stranger.credential = NodeCredential.token(joinToken: NodeAPITestServer.joinToken, nodeName: "othernode")
            for path in ["/pods", "/stats/summary", "/containerLogs/default/web/app", "/exec/default/web/app?command=echo"] {
                let response = try await client.get(stranger, path: path)
                #expect(response.status == 401, "\(path)")
            }
            stranger.credential = ""
            #expect(try await client.get(stranger, path: "/pods").status == 401)
            let health = try await client.get(stranger, path: "/healthz")
            #expect(health.status == 200)
            #expect(String(decoding: try await health.collect(upTo: 100), as: UTF8.self) == "ok")
        }
    }

    @Test("a log is served as text with the query parsed into LogOptions; unknown containers are 404")
    func plainLogs() async throws {
        let backend = FakeBackend()
        try await NodeAPITestServer.with(backend) { endpoint, _ in
            let response = try await client.get(
                endpoint, path: "/containerLogs/default/web/app?tailLines=10&timestamps=true&sinceTime=2026-11-22T10%3A00%3A00Z")
            #expect(response.status == 200)
            #expect(response.contentType?.hasPrefix("text/plain") == true)
            #expect(String(decoding: try await response.collect(upTo: 1000), as: UTF8.self) == "line 1\nline 2\n")
            #expect(backend.lastLogOptions.withLock { $0 } == LogOptions(tailLines: 10, timestamps: true, sinceTime: "2026-11-22T10:00:00Z"))
            let missing = try await client.get(endpoint, path: "/containerLogs/default/web/nope")
            #expect(missing.status == 404)
            #expect(String(decoding: try await missing.collect(upTo: 1000), as: UTF8.self).contains("container nope is not in pod default/web"))
            let bad = try await client.get(endpoint, path: "/containerLogs/default/web/app?tailLines=-1")
            #expect(bad.status == 400)
        }
    }

    @Test("a followed log streams: the first chunk arrives before the stream ends")
    func followedLogs() async throws {
        let backend = FakeBackend()
        try await NodeAPITestServer.with(backend) { endpoint, _ in
            let response = try await client.get(endpoint, path: "/containerLogs/default/web/app?follow=true")
            #expect(response.status == 200)
            var chunks: [String] = []
            try await response.forEachChunk { chunk in
                chunks.append(String(decoding: chunk, as: UTF8.self))
                // Only once the first line has arrived may the fake finish its log.
                if chunks.joined() == "line 1\n" { backend.releaseFollow() }
            }
            #expect(chunks.joined() == "line 1\nline 2\n")
            #expect(chunks.first == "line 1\n")
        }
    }

    @Test("stats, metrics and pods routes return the backend's bytes with kubelet's content types")
    func statsRoutes() async throws {
        try await NodeAPITestServer.with { endpoint, _ in
            #expect(try await client.getBytes(endpoint, path: "/stats/summary") == FakeBackend.summary)
            let resource = try await client.get(endpoint, path: "/metrics/resource")
            #expect(resource.contentType == "text/plain; version=0.0.4; charset=utf-8")
            #expect(String(decoding: try await resource.collect(upTo: 1000), as: UTF8.self) == "container_cpu_usage_seconds_total 1\n")
            #expect(String(decoding: try await client.getBytes(endpoint, path: "/metrics/cadvisor"), as: UTF8.self).hasPrefix("container_memory"))
            let pods = try await client.get(endpoint, path: "/pods")
            #expect(pods.contentType == "application/json")
            #expect(try JSON(parsing: try await pods.collect(upTo: 1000))["kind"] == "PodList")
        }
    }

    @Test("/stats/history/{namespace}/{pod} returns the backend's JSON, and 404 for a pod it has no history of")
    func historyRoute() async throws {
        try await NodeAPITestServer.with { endpoint, _ in
            let history = try await client.get(endpoint, path: "/stats/history/default/web")
            #expect(history.status == 200)
            #expect(history.contentType == "application/json")
            #expect(try JSON(parsing: try await history.collect(upTo: 1000))["name"] == "web")
            let missing = try await client.get(endpoint, path: "/stats/history/default/nope")
            #expect(missing.status == 404)
            #expect(String(decoding: try await missing.collect(upTo: 1000), as: UTF8.self) == "no history for pod default/nope\n")
        }
    }

    @Test("the client refuses an agent whose certificate is not the pinned one")
    func pinning() async throws {
        try await NodeAPITestServer.with { endpoint, _ in
            var wrong = endpoint
            wrong.certificateSHA256 = String(repeating: "ab", count: 32)
            await #expect {
                _ = try await client.get(wrong, path: "/pods")
            } throws: { error in
                guard case NodeAPIClientError.certificateMismatch(let message) = error else { return false }
                return message.contains(endpoint.certificateSHA256)
            }
        }
    }

    @Test("the certificate is kept in its directory and reused, with the node's names and addresses")
    func certificateReuse() throws {
        let directory = NSTemporaryDirectory() + "skiff-agent-cert-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try AgentCertificate.loadOrCreate(directory: directory, hostnames: ["node-a"], addresses: ["10.0.0.5", "fd00::5"])
        let again = try AgentCertificate.loadOrCreate(directory: directory, hostnames: ["node-a"], addresses: ["10.0.0.5"])
        #expect(first.sha256 == again.sha256)
        #expect(first.sha256.count == 64)
        let newAddress = try AgentCertificate.loadOrCreate(directory: directory, hostnames: ["node-a"], addresses: ["10.0.0.6"])
        #expect(newAddress.sha256 != first.sha256)
        let mode = try FileManager.default.attributesOfItem(atPath: directory + "/agent.key")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(throws: AgentCertificateError.self) { try AgentCertificate.loadOrCreate(directory: directory, hostnames: [], addresses: ["10.0.0"]) }
    }
}
