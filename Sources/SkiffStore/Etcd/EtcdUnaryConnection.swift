import NIOCore
import NIOHTTP1
import Synchronization

/// One request to etcd's JSON gateway on a keep-alive connection, and where its answer goes.
struct EtcdUnaryRequest: Sendable {
    let head: HTTPRequestHead
    let body: ByteBuffer
    let answer: EtcdUnaryAnswer
}

/// The answer's promise, completed once: by the connection's handler (the response, or the
/// connection's end), or by the caller when the request could not even be written.
final class EtcdUnaryAnswer: Sendable {
    let promise: EventLoopPromise<EtcdUnaryResponse>
    private let settled = Atomic<Bool>(false)

    init(on eventLoop: any EventLoop) { promise = eventLoop.makePromise() }

    func succeed(_ response: EtcdUnaryResponse) {
        if settled.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged { promise.succeed(response) }
    }

    func fail(_ error: any Error) {
        if settled.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged { promise.fail(error) }
    }
}

struct EtcdUnaryResponse: Sendable {
    let status: Int
    let body: [UInt8]
    /// Whether etcd keeps the connection open for the next request.
    let keepAlive: Bool
}

/// The last handler of a pooled connection: writes one request at a time and completes its
/// promise with the whole response; a connection that closes or fails first fails it, so a
/// caller never waits on a dead connection.
final class EtcdUnaryResponseHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = EtcdUnaryRequest
    typealias OutboundOut = HTTPClientRequestPart

    private var answer: EtcdUnaryAnswer?
    private var status = 0
    private var keepAlive = true
    private var body: [UInt8] = []

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        guard answer == nil else {
            // The pool hands a connection to one caller at a time; this would be a bug.
            request.answer.fail(EtcdGateway.Unreachable(reason: "a second request on a busy connection"))
            promise?.fail(ChannelError.inappropriateOperationForState)
            return
        }
        (answer, status, keepAlive, body) = (request.answer, 0, true, [])
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(request.body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            keepAlive = head.isKeepAlive
        case .body(let buffer):
            body += buffer.readableBytesView
        case .end:
            let finished = answer
            answer = nil
            finished?.succeed(EtcdUnaryResponse(status: status, body: body, keepAlive: keepAlive))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(EtcdGateway.Unreachable(reason: "the connection closed before an answer"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(EtcdGateway.Unreachable(reason: "\(error)"))
        context.close(promise: nil)
    }

    private func fail(_ error: any Error) {
        let pending = answer
        answer = nil
        pending?.fail(error)
    }
}
