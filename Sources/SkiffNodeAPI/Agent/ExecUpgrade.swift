import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore

/// Decides whether a request becomes an exec, attach or port-forward websocket: right path, the node's
/// credential, and a subprotocol we speak. Anything else falls through to the HTTP routes, which
/// answer 401 or 400 with the reason.
struct ExecUpgrade: Sendable {
    let backend: any NodeAPIBackend
    let credential: String
    let logger: Logger

    func shouldUpgrade(
        _ head: HTTPRequest, _ channel: any Channel, _ logger: Logger
    ) async throws
        -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>>
    {
        guard BearerAuthMiddleware.authorized(head.headerFields[.authorization], credential: credential) else { return .dontUpgrade }
        let offered = head.headerFields[values: .secWebSocketProtocol].joined(separator: ",")
        if let target = PortForwardTarget(path: head.path ?? "") {
            guard let subprotocol = PortForwardProtocol.negotiate(offered) else { return .dontUpgrade }
            var headers = HTTPFields()
            headers[.secWebSocketProtocol] = subprotocol
            let tunnel = PortForwardTunnel(namespace: target.namespace, pod: target.pod, backend: backend, logger: self.logger)
            return .upgrade(headers) { inbound, outbound, _ in
                await tunnel.run(inbound: inbound, outbound: outbound)
            }
        }
        guard let subprotocol = ExecChannelProtocol.negotiate(offered),
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
