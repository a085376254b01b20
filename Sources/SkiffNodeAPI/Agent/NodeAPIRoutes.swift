import Hummingbird
import Logging
import NIOCore

/// kubelet's read paths on the node API, each delegating to the backend.
struct NodeAPIRoutes: Sendable {
    let backend: any NodeAPIBackend
    let credential: String
    let logger: Logger

    func router() -> Router<NodeAPIRequestContext> {
        let router = Router(context: NodeAPIRequestContext.self)
        router.get("/healthz") { _, _ in "ok" }
        let authenticated = router.group().add(middleware: BearerAuthMiddleware(credential: credential))
        authenticated.get("/containerLogs/:namespace/:pod/:container") { request, context in
            try await respond { try await logs(request, context) }
        }
        authenticated.get("/exec/:namespace/:pod/:container") { _, _ in
            // An upgrade request with an acceptable subprotocol never gets here.
            Self.text("exec needs a websocket upgrade with subprotocol \(ExecChannelProtocol.v5) or \(ExecChannelProtocol.v4)\n", status: .badRequest)
        }
        authenticated.get("/attach/:namespace/:pod/:container") { _, _ in
            Self.text("attach needs a websocket upgrade with subprotocol \(ExecChannelProtocol.v5) or \(ExecChannelProtocol.v4)\n", status: .badRequest)
        }
        authenticated.get("/portForward/:namespace/:pod") { _, _ in
            Self.text("port-forward needs a websocket upgrade with subprotocol \(PortForwardProtocol.spdyTunnel)\n", status: .badRequest)
        }
        authenticated.get("/stats/summary") { _, _ in
            try await respond { Self.bytes(try await backend.statsSummary(), contentType: "application/json") }
        }
        authenticated.get("/stats/history/:namespace/:pod") { _, context in
            try await respond {
                let namespace = try context.parameters.require("namespace")
                let pod = try context.parameters.require("pod")
                return Self.bytes(try await backend.statsHistory(namespace: namespace, pod: pod), contentType: "application/json")
            }
        }
        authenticated.get("/metrics/resource") { _, _ in
            try await respond { Self.bytes(try await backend.resourceMetrics(), contentType: Self.prometheusType) }
        }
        authenticated.get("/metrics/cadvisor") { _, _ in
            try await respond { Self.bytes(try await backend.cadvisorMetrics(), contentType: Self.prometheusType) }
        }
        authenticated.get("/pods") { _, _ in
            try await respond { Self.bytes(try await backend.pods(), contentType: "application/json") }
        }
        return router
    }

    static let prometheusType = "text/plain; version=0.0.4; charset=utf-8"

    func logs(_ request: Request, _ context: NodeAPIRequestContext) async throws -> Response {
        let namespace = try context.parameters.require("namespace")
        let pod = try context.parameters.require("pod")
        let container = try context.parameters.require("container")
        let options = try Self.logOptions(request.uri.queryParameters)
        let stream = try await backend.logs(namespace: namespace, pod: pod, container: container, options: options)
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        headers[.cacheControl] = "no-cache, private"
        return Response(status: .ok, headers: headers, body: StreamedBody.body(stream, closed: context.channel.closeFuture, logger: logger))
    }

    static func logOptions(_ query: Parameters) throws -> LogOptions {
        func flag(_ name: String) -> Bool { query.get(name) == "true" || query.get(name) == "1" }
        func number(_ name: String) throws -> Int? {
            guard let text = query.get(name), !text.isEmpty else { return nil }
            guard let value = Int(text), value >= 0 else { throw NodeAPIError.badRequest("\(name) must be a non-negative integer, not \"\(text)\"") }
            return value
        }
        return LogOptions(
            follow: flag("follow"), tailLines: try number("tailLines"), timestamps: flag("timestamps"), previous: flag("previous"),
            limitBytes: try number("limitBytes"), sinceSeconds: try number("sinceSeconds"), sinceTime: query.get("sinceTime"))
    }

    /// Maps backend errors to a plain-text status the API server relays to kubectl.
    func respond(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as NodeAPIError {
            return Self.text(error.description + "\n", status: .init(code: error.status))
        } catch let error as HTTPError {
            throw error
        } catch {
            logger.error("node API request failed", metadata: ["error": "\(error)"])
            return Self.text("\(error)\n", status: .internalServerError)
        }
    }

    static func text(_ text: String, status: HTTPResponse.Status) -> Response {
        bytes(Array(text.utf8), contentType: "text/plain; charset=utf-8", status: status)
    }

    static func bytes(_ bytes: [UInt8], contentType: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// Rejects requests without `Authorization: Bearer <the node's credential>` (401).
struct BearerAuthMiddleware: RouterMiddleware {
    typealias Context = NodeAPIRequestContext
    let credential: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard Self.authorized(request.headers[.authorization], credential: credential) else {
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; charset=utf-8"
            headers[.wwwAuthenticate] = "Bearer"
            return Response(status: .unauthorized, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: "Unauthorized\n")))
        }
        return try await next(request, context)
    }

    static func authorized(_ header: String?, credential: String) -> Bool {
        guard let header, header.hasPrefix("Bearer ") else { return false }
        return NodeCredential.constantTimeEqual(String(header.dropFirst("Bearer ".count)), credential)
    }
}
