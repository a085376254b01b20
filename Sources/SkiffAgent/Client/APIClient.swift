import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import SkiffAPI
import SkiffClient
import SkiffNodeAPI

/// An error answer from the API server, carrying its Status object's reason and message.
public struct APIClientError: Error, CustomStringConvertible, Sendable {
    public let code: Int
    public let reason: String
    public let message: String

    public var description: String { "\(code) \(reason): \(message)" }
    var isNotFound: Bool { code == 404 }
    var isConflict: Bool { code == 409 }
    var isGone: Bool { code == 410 }
}

/// The agent's connection to the API servers: JSON requests and watch streams over HTTPS,
/// trusting only the cluster CA and authenticating as this node. Every request goes through
/// `failover`, so with several servers it moves to the next one when the current one fails.
public final class APIClient: ListWatchClient {
    let failover: ServerFailover
    let credential: String
    let http: HTTPClient

    public init(servers: ServerEndpoints, caCertificatePEM: String, joinToken: String, nodeName: String, logger: Logger) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(caCertificatePEM.utf8)))
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: .seconds(5))
        configuration.httpVersion = .http1Only
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        failover = ServerFailover(endpoints: servers, logger: logger)
        credential = APIClient.nodeCredential(joinToken: joinToken, nodeName: nodeName)
    }

    /// The server derives every node's bearer token from the join secret, so no per-node secret
    /// has to be stored on either side.
    public static func nodeCredential(joinToken: String, nodeName: String) -> String {
        NodeCredential.token(joinToken: joinToken, nodeName: nodeName)
    }

    public func shutdown() async {
        try? await http.shutdown()
    }

    func request(_ method: HTTPMethod, _ path: String, body: JSON? = nil, contentType: String = "application/json") async throws -> JSON {
        try await failover.perform { server in
            try await self.send(method, server + path, body: body, contentType: contentType)
        }
    }

    /// One try of a request at `url` (a server's base URL and the path).
    private func send(_ method: HTTPMethod, _ url: String, body: JSON?, contentType: String) async throws -> JSON {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(credential)")
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body.bytes))
        }
        let response = try await http.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        let json = (try? JSON(parsing: Array(bytes.readableBytesView))) ?? .null
        guard (200..<300).contains(Int(response.status.code)) else {
            throw APIClientError(
                code: Int(response.status.code), reason: json["reason"].string ?? response.status.reasonPhrase,
                message: json["message"].string ?? String(decoding: bytes.readableBytesView, as: UTF8.self))
        }
        return json
    }

    func get(_ path: String) async throws -> JSON { try await request(.GET, path) }
    public func list(_ path: String) async throws -> JSON { try await request(.GET, path) }
    func create(_ path: String, _ object: JSON) async throws -> JSON { try await request(.POST, path, body: object) }
    func replace(_ path: String, _ object: JSON) async throws -> JSON { try await request(.PUT, path, body: object) }
    func mergePatch(_ path: String, _ patch: JSON) async throws -> JSON {
        try await request(.PATCH, path, body: patch, contentType: "application/merge-patch+json")
    }
    func strategicPatch(_ path: String, _ patch: JSON) async throws -> JSON {
        try await request(.PATCH, path, body: patch, contentType: "application/strategic-merge-patch+json")
    }
    func delete(_ path: String, body: JSON? = nil) async throws -> JSON { try await request(.DELETE, path, body: body) }

    /// Streams watch events (one JSON object per line) until the server ends the stream. A stream
    /// that breaks counts as that server failing. A watch still on a server the agent has moved
    /// away from (another request found it failing) ends with `ServerSwitched` at once, even when
    /// that server's connection has gone silent, so the informer relists on the new one.
    public func watch(_ path: String, onEvent: @Sendable (WatchEvent) async throws -> Void) async throws {
        let (server, response) = try await failover.perform { server in (server, try await self.openWatch(server + path)) }
        // The body is read in a child task so that the other child, woken when the agent leaves
        // the server, can end the watch while a read waits.
        let (chunks, sink) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    for try await chunk in response.body { sink.yield(chunk) }
                    sink.finish()
                } catch {
                    if ServerFailover.isServerFailure(error), !Task.isCancelled { self.failover.serverFailed(server, error: error) }
                    sink.finish(throwing: error)
                }
            }
            group.addTask {
                await self.failover.waitUntilAway(from: server)
                guard !Task.isCancelled else { return }
                sink.finish(throwing: ServerSwitched(from: server, to: self.failover.currentURL))
            }
            defer { group.cancelAll() }
            var pending: [UInt8] = []
            for try await chunk in chunks {
                pending += chunk.readableBytesView
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = Array(pending[..<newline])
                    pending.removeSubrange(...newline)
                    guard !line.isEmpty, let event = try? JSON(parsing: line) else { continue }
                    try await onEvent(WatchEvent(type: event["type"].string ?? "", object: event["object"]))
                }
            }
        }
    }

    /// Starts a watch at `url`: the response whose body is the event stream, or the server's error.
    private func openWatch(_ url: String) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(credential)")
        request.headers.add(name: "Accept", value: "application/json")
        let response = try await http.execute(request, timeout: .hours(2))
        guard response.status == .ok else {
            let bytes = try await response.body.collect(upTo: 1 << 20)
            let json = (try? JSON(parsing: Array(bytes.readableBytesView))) ?? .null
            throw APIClientError(
                code: Int(response.status.code), reason: json["reason"].string ?? "", message: json["message"].string ?? "")
        }
        return response
    }
}
