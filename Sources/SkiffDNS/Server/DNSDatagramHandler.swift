import NIOCore

/// Answers UDP queries on the event loop that read them: cluster names and cached upstream
/// answers never leave the loop's thread, so the common query costs no hop to the Swift task
/// pool and back. Queries that need an upstream are passed on as `ForwardRequest`s to the
/// server's async loop.
final class DNSDatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias InboundOut = ForwardRequest
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    /// A query for the upstream resolvers and the client to answer.
    struct ForwardRequest: Sendable {
        let pending: DNSResponder.PendingQuery
        let client: SocketAddress
    }

    private let responder: DNSResponder
    private var wroteSinceFlush = false

    init(responder: DNSResponder) {
        self.responder = responder
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        switch responder.decide(Array(envelope.data.readableBytesView), overUDP: true) {
        case .drop: return
        case .reply(let bytes):
            var buffer = context.channel.allocator.buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: buffer)), promise: nil)
            wroteSinceFlush = true
        case .forward(let pending):
            context.fireChannelRead(wrapInboundOut(ForwardRequest(pending: pending, client: envelope.remoteAddress)))
        }
    }

    /// One flush per batch of reads: the replies of a burst go out together.
    func channelReadComplete(context: ChannelHandlerContext) {
        if wroteSinceFlush {
            wroteSinceFlush = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }
}
