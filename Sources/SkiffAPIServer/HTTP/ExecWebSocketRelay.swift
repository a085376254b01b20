import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import SkiffAPI
import SkiffNodeAPI

/// `kubectl exec` and `kubectl attach` over websocket: accepts the upgrade on the API port when
/// `KubeAPI.execPlan` (`attachPlan`) allows it, then relays channel frames between kubectl and
/// the pod's agent until either side closes (port-forward's upgrade goes to `PortForwardRelay`).
/// Exec requests it declines fall through to `KubeAPI`, which answers with the reason. A
/// declined attach is upgraded and answered with the reason as its status instead: kubectl
/// takes any answer but 101 as a reason to retry over SPDY, which loses the message.
struct ExecWebSocketRelay: Sendable {
    let api: KubeAPI

    static let maximumMessageSize = 16 << 20
    /// How long to wait for kubectl's answer to our close frame.
    static let closeTimeout: Duration = .seconds(5)

    func shouldUpgrade(
        _ head: HTTPRequest, _ channel: any Channel, _ logger: Logger
    ) async throws
        -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>>
    {
        let target = head.path ?? ""
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var headers: [String: String] = [:]
        for field in head.headerFields {
            let name = field.name.canonicalName
            headers[name] = headers[name].map { "\($0), \(field.value)" } ?? field.value
        }
        if parts[0].hasSuffix("/portforward") {
            let certificate = headers["authorization"] == nil ? await HummingbirdAdapter.peerCertificate(channel) : nil
            return await PortForwardRelay(api: api).shouldUpgrade(
                path: QueryString.decode(parts[0]), headers: headers, clientCertificate: certificate, logger: logger)
        }
        let attach = parts[0].hasSuffix("/attach")
        guard parts[0].hasSuffix("/exec") || attach, let subprotocol = ExecChannelProtocol.negotiate(headers["sec-websocket-protocol"]) else {
            return .dontUpgrade
        }
        let path = QueryString.decode(parts[0])
        let query = parts.count > 1 ? QueryString.parse(parts[1]) : []
        let certificate = headers["authorization"] == nil ? await HummingbirdAdapter.peerCertificate(channel) : nil
        var response = HTTPFields()
        response[.secWebSocketProtocol] = subprotocol
        let plan: ExecPlan
        do {
            plan =
                attach
                ? try await api.attachPlan(path: path, query: query, headers: headers, clientCertificate: certificate)
                : try await api.execPlan(path: path, query: query, headers: headers, clientCertificate: certificate)
        } catch let error as APIError where attach {
            return .upgrade(response) { _, outbound, _ in
                await Self.fail(error.status, outbound)
            }
        } catch {
            return .dontUpgrade
        }
        let client = api.nodeProxy.client
        return .upgrade(response) { inbound, outbound, _ in
            await Self.relay(plan: plan, subprotocol: subprotocol, client: client, inbound: inbound, outbound: outbound, logger: logger)
        }
    }

    static func relay(
        plan: ExecPlan, subprotocol: String, client: NodeAPIClient, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter,
        logger: Logger
    ) async {
        do {
            try await client.webSocket(plan.endpoint, path: plan.agentPath, subprotocol: subprotocol) { agentInbound, agentOutbound in
                // An empty stdin frame (ignored) tells the agent the upgrade is done here: it sends
                // nothing before, since frames arriving with the 101 response can be lost.
                try await agentOutbound.write(.binary(ByteBuffer(integer: ExecChannelProtocol.stdin)))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        // kubectl → agent (stdin, resize, close of stdin) until kubectl closes;
                        // then closing the agent's side ends (kills) the command.
                        for try await message in inbound.messages(maxSize: maximumMessageSize) {
                            try await agentOutbound.write(Self.frame(message))
                        }
                        try? await agentOutbound.close(.normalClosure, reason: nil)
                    }
                    // agent → kubectl (output, then the status); the agent closes after the status.
                    for try await message in agentInbound.messages(maxSize: maximumMessageSize) {
                        try await outbound.write(Self.frame(message))
                    }
                    // Close kubectl's side; its answering close frame ends the reader above.
                    try? await outbound.close(.normalClosure, reason: nil)
                    group.addTask { try await Task.sleep(for: closeTimeout) }
                    _ = try await group.next()
                    group.cancelAll()
                }
            }
        } catch {
            logger.warning("exec relay failed", metadata: ["container": "\(plan.container)", "error": "\(error)"])
            await fail(
                ExecChannelProtocol.failureStatus("cannot reach the container through the skiff agent of node \(plan.endpoint.nodeName): \(error)"), outbound)
        }
    }

    /// A failure status on the error channel, then the close.
    static func fail(_ status: JSON, _ outbound: WebSocketOutboundWriter) async {
        var buffer = ByteBuffer(integer: ExecChannelProtocol.error)
        buffer.writeBytes(status.bytes)
        try? await outbound.write(.binary(buffer))
        try? await outbound.close(.normalClosure, reason: nil)
    }

    static func frame(_ message: WebSocketMessage) -> WebSocketOutboundWriter.OutboundFrame {
        switch message {
        case .binary(let buffer): .binary(buffer)
        case .text(let text): .text(text)
        }
    }
}
