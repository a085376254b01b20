import AsyncHTTPClient
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// The API server's side of the node API: HTTPS requests and exec websockets to an agent,
/// authenticated with the node's credential and trusting exactly the certificate its Node pins.
public final class NodeAPIClient: Sendable {
    let httpClient: HTTPClient
    let logger: Logger
    /// Fetched certificates by endpoint and pin, so the extra handshake happens once per agent.
    private let trusted = Mutex<[String: NIOSSLCertificate]>([:])

    /// `httpClient` defaults to one shared, process-lifetime client configured for the node API.
    public init(httpClient: HTTPClient = nodeAPIHTTPClient, logger: Logger = Logger(label: "skiff.nodeapi.client")) {
        self.httpClient = httpClient
        self.logger = logger
    }

    /// Starts `GET path` (path and query, e.g. `/containerLogs/ns/pod/c?follow=true`); the
    /// body is read from the returned response, which the caller must consume or drop.
    public func get(_ endpoint: NodeEndpoint, path: String, timeout: Duration = .seconds(30)) async throws -> NodeAPIResponse {
        var request = HTTPClientRequest(url: "https://\(endpoint.authority)\(path)")
        request.headers.add(name: "Authorization", value: "Bearer \(endpoint.credential)")
        request.tlsConfiguration = try await tlsConfiguration(for: endpoint)
        do {
            let response = try await httpClient.execute(request, timeout: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000))
            return NodeAPIResponse(status: Int(response.status.code), contentType: response.headers.first(name: "content-type"), body: response.body)
        } catch {
            forget(endpoint)
            throw NodeAPIClientError.unreachable("GET https://\(endpoint.authority)\(path) failed: \(error)")
        }
    }

    /// `GET path` with the whole body (at most `limit` bytes); non-200 answers throw `.status`.
    public func getBytes(_ endpoint: NodeEndpoint, path: String, limit: Int = 64 << 20, timeout: Duration = .seconds(10)) async throws -> [UInt8] {
        let response = try await get(endpoint, path: path, timeout: timeout)
        let body = try await response.collect(upTo: limit)
        guard response.status == 200 else { throw NodeAPIClientError.status(response.status, String(decoding: body, as: UTF8.self)) }
        return body
    }

    /// Opens a websocket to `path` with `subprotocol` and runs `handler` on it until it returns
    /// or the agent closes. Throws `.unreachable` when the connection or upgrade fails.
    public func webSocket(
        _ endpoint: NodeEndpoint, path: String, subprotocol: String,
        handler: @escaping @Sendable (WebSocketInboundStream, WebSocketOutboundWriter) async throws -> Void
    ) async throws {
        var headers = HTTPFields()
        headers[.authorization] = "Bearer \(endpoint.credential)"
        headers[.secWebSocketProtocol] = subprotocol
        // SNI may not carry an IP address; the name is not verified (the certificate is pinned).
        let configuration = WebSocketClientConfiguration(maxFrameSize: 16 << 20, additionalHeaders: headers, sniHostname: endpoint.nodeName)
        let tls = try await tlsConfiguration(for: endpoint)
        do {
            try await WebSocketClient.connect(
                url: "wss://\(endpoint.authority)\(path)", configuration: configuration, tlsConfiguration: tls, logger: logger
            ) { inbound, outbound, _ in
                try await handler(inbound, outbound)
            }
        } catch let error as WebSocketClientError {
            forget(endpoint)
            throw NodeAPIClientError.unreachable("websocket to https://\(endpoint.authority)\(path) failed: \(error)")
        }
    }

    func tlsConfiguration(for endpoint: NodeEndpoint) async throws -> TLSConfiguration {
        let key = Self.key(endpoint)
        let certificate: NIOSSLCertificate
        if let known = trusted.withLock({ $0[key] }) {
            certificate = known
        } else {
            certificate = try await PinnedCertificateFetcher.fetch(host: endpoint.host, port: endpoint.port, sha256: endpoint.certificateSHA256)
            trusted.withLock { $0[key] = certificate }
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates([certificate])
        // The certificate itself is pinned; names do not matter.
        tls.certificateVerification = .noHostnameVerification
        return tls
    }

    /// Drops a cached certificate after a failure, so the next call checks the agent again.
    func forget(_ endpoint: NodeEndpoint) {
        _ = trusted.withLock { $0.removeValue(forKey: Self.key(endpoint)) }
    }

    static func key(_ endpoint: NodeEndpoint) -> String { "\(endpoint.authority)/\(endpoint.certificateSHA256)" }
}

/// The HTTP client for agents: no read timeout (a followed log may be idle for hours), no
/// redirects, no decompression. It lives as long as the process, so it is never shut down.
public let nodeAPIHTTPClient = HTTPClient(
    eventLoopGroup: HTTPClient.defaultEventLoopGroup,
    configuration: HTTPClient.Configuration(
        redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10), read: nil), decompression: .disabled))

/// An agent's answer whose body has not been read yet.
public struct NodeAPIResponse: Sendable {
    public let status: Int
    public let contentType: String?
    let body: HTTPClientResponse.Body

    /// Hands each chunk of the body to `consume` as it arrives (a followed log).
    public func forEachChunk(_ consume: ([UInt8]) async throws -> Void) async throws {
        for try await buffer in body {
            try await consume(Array(buffer: buffer))
        }
    }

    public func collect(upTo limit: Int) async throws -> [UInt8] {
        Array(buffer: try await body.collect(upTo: limit))
    }
}

/// Why a call to an agent failed.
public enum NodeAPIClientError: Error, Sendable, CustomStringConvertible {
    /// No connection, TLS failure, timeout or failed upgrade.
    case unreachable(String)
    /// The agent's certificate is not the one its Node pins.
    case certificateMismatch(String)
    /// The agent answered with this status and body.
    case status(Int, String)

    public var description: String {
        switch self {
        case .unreachable(let message), .certificateMismatch(let message): message
        case .status(let code, let body): "the agent answered \(code): \(body.trimmingSpaces())"
        }
    }
}

extension String {
    func trimmingSpaces() -> String {
        var text = Substring(self)
        while let last = text.last, last.isWhitespace { text = text.dropLast() }
        while let first = text.first, first.isWhitespace { text = text.dropFirst() }
        return String(text)
    }
}
