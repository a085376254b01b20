import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import SkiffNodeAPI

/// `kubectl port-forward` (≥ 1.31): the websocket whose binary messages carry a SPDY/3.1
/// session (`SPDY/3.1+portforward.k8s.io`). The server does not read the SPDY: it opens the same
/// tunnel to the pod's agent, which serves the streams as kubelet does, and copies messages both
/// ways unchanged until either side closes.
struct PortForwardRelay: Sendable {
    let api: KubeAPI

    func shouldUpgrade(
        path: String, headers: [String: String], clientCertificate: [UInt8]?, logger: Logger
    ) async -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> {
        guard let subprotocol = PortForwardProtocol.negotiate(headers["sec-websocket-protocol"]),
            let plan = try? await api.portForwardPlan(path: path, headers: headers, clientCertificate: clientCertificate)
        else {
            return .dontUpgrade
        }
        var response = HTTPFields()
        response[.secWebSocketProtocol] = subprotocol
        let client = api.nodeProxy.client
        return .upgrade(response) { inbound, outbound, _ in
            await Self.relay(plan: plan, client: client, inbound: inbound, outbound: outbound, logger: logger)
        }
    }

    static func relay(plan: ExecPlan, client: NodeAPIClient, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, logger: Logger) async {
        do {
            try await client.webSocket(plan.endpoint, path: plan.agentPath, subprotocol: PortForwardProtocol.spdyTunnel) { agentInbound, agentOutbound in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        // kubectl → agent until kubectl closes; closing the agent's side ends
                        // every forwarded connection of the session.
                        for try await message in inbound.messages(maxSize: ExecWebSocketRelay.maximumMessageSize) {
                            try await agentOutbound.write(ExecWebSocketRelay.frame(message))
                        }
                        try? await agentOutbound.close(.normalClosure, reason: nil)
                    }
                    for try await message in agentInbound.messages(maxSize: ExecWebSocketRelay.maximumMessageSize) {
                        try await outbound.write(ExecWebSocketRelay.frame(message))
                    }
                    // The agent ended the session: close kubectl's side; its answer ends the reader.
                    try? await outbound.close(.normalClosure, reason: nil)
                    group.addTask { try await Task.sleep(for: ExecWebSocketRelay.closeTimeout) }
                    _ = try await group.next()
                    group.cancelAll()
                }
            }
        } catch {
            // kubectl reads this as the tunnel's end; its own message says "lost connection to pod".
            logger.warning("port-forward relay failed", metadata: ["pod": "\(plan.container)", "error": "\(error)"])
            try? await outbound.close(.unexpectedServerError, reason: "cannot reach the skiff agent of node \(plan.endpoint.nodeName)")
        }
    }
}
