import NIOCore

/// Closes a TCP connection when `IdleStateHandler` reports it idle: a client that stalls in the
/// middle of a frame, or stops reading its answers, must not hold a connection slot forever.
final class CloseOnIdleHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
