import NIOCore

/// Keeps a socket error on a listening channel (an ICMP error the kernel reports on the UDP
/// socket, EMFILE from accept) from ending the server: NIOAsyncChannel ends its inbound stream
/// on the first error, and one bad datagram or a burst of connections must not stop DNS for
/// the whole node. NIO itself closes the socket when an error is fatal.
final class SocketErrorFilter: ChannelInboundHandler {
    typealias InboundIn = Any

    func errorCaught(context: ChannelHandlerContext, error: any Error) {}
}
