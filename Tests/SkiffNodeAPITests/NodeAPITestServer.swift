import Foundation
import SkiffNodeAPI

/// Runs a `NodeAPIServer` on a free loopback port with a fake backend for the duration of `body`.
enum NodeAPITestServer {
    static let joinToken = "join-secret"
    static let nodeName = "testnode"
    static var credential: String { NodeCredential.token(joinToken: joinToken, nodeName: nodeName) }

    static func with(_ backend: FakeBackend = FakeBackend(), _ body: (NodeEndpoint, NodeAPIServer) async throws -> Void) async throws {
        let directory = NSTemporaryDirectory() + "skiff-nodeapi-test-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try NodeAPIServer(
            configuration: NodeAPIConfiguration(
                host: "127.0.0.1", port: 0, certificateDirectory: directory, hostnames: [nodeName], addresses: ["127.0.0.1"],
                credential: credential),
            backend: backend)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            defer { group.cancelAll() }
            let port = try await server.listeningPort()
            let endpoint = NodeEndpoint(nodeName: nodeName, host: "127.0.0.1", port: port, certificateSHA256: server.certificateSHA256, credential: credential)
            try await body(endpoint, server)
        }
    }
}
