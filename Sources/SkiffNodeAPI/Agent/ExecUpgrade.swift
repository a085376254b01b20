import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore

/// Decides whether a request becomes an exec websocket: right path, the node's credential, and a
/// channel subprotocol we speak. Anything else falls through to the HTTP routes, which answer 401
/// or 400 with the reason.
struct ExecUpgrade: Sendable {
    let backend: any NodeAPIBackend
    let credential: String
    let logger: Logger

    func shouldUpgrade(
        _ head: HTTPRequest, _ channel: any Channel, _ logger: Logger
    ) async throws
        -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>>
    {
        guard BearerAuthMiddleware.authorized(head.headerFields[.authorization], credential: credential),
            let subprotocol = ExecChannelProtocol.negotiate(head.headerFields[values: .secWebSocketProtocol].joined(separator: ",")),
            let request = try? ExecRequest.parse(target: head.path ?? "")
        else {
            return .dontUpgrade
        }
        var headers = HTTPFields()
        headers[.secWebSocketProtocol] = subprotocol
        let relay = ExecSessionRelay(request: request, backend: backend, closeStreams: subprotocol == ExecChannelProtocol.v5, logger: self.logger)
        return .upgrade(headers) { inbound, outbound, _ in
            try await relay.run(inbound: inbound, outbound: outbound)
        }
    }
}
