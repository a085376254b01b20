import HummingbirdCore
import Logging
import NIOCore

/// Turns a request to upgrade to anything but websocket (kubectl's SPDY fallback for exec,
/// attach and port-forward: `Upgrade: SPDY/3.1`) into a plain request, so `KubeAPI` answers it
/// with its reason (a missing container, or "SPDY is not supported") instead of the connection
/// closing without an answer. NIO's decoder stops at any upgrade request and the websocket
/// upgrader declines it, after which the HTTP stack sees the request's parts out of order and
/// closes the connection: kubectl then said only "unexpected EOF".
///
/// The handler reads the first request's head, renames its `Upgrade` and `Connection` headers
/// (to `X-Declined-Upgrade`, `X-Declined-Connection`) when the upgrade is not to websocket,
/// passes the bytes on unchanged otherwise, and leaves the pipeline. Upgrades come on fresh
/// connections, so later requests on the connection are not looked at.
final class DeclinedUpgradeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// A head longer than this is passed on as it is (the decoder enforces its own limits).
    static let maximumHead = 64 * 1024
    private var buffered: ByteBuffer?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if buffered == nil {
            buffered = incoming
        } else {
            buffered?.writeBuffer(&incoming)
        }
        guard let bytes = buffered else { return }
        let view = Array(bytes.readableBytesView)
        guard let end = Self.headEnd(view) else {
            if view.count > Self.maximumHead { forward(context, bytes) }
            return
        }
        guard let rewritten = Self.rewrite(head: view[..<end]) else {
            forward(context, bytes)
            return
        }
        var replacement = context.channel.allocator.buffer(capacity: rewritten.count + view.count - end)
        replacement.writeBytes(rewritten)
        replacement.writeBytes(view[end...])
        forward(context, replacement)
    }

    private func forward(_ context: ChannelHandlerContext, _ bytes: ByteBuffer) {
        buffered = nil
        context.fireChannelRead(wrapInboundOut(bytes))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// Where the head ends: the index just past its blank line.
    static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4) where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index + 4
        }
        return nil
    }

    /// The head with a non-websocket upgrade's headers renamed; nil to leave it as it is.
    static func rewrite(head: ArraySlice<UInt8>) -> [UInt8]? {
        var lines = head.split(separator: 10, omittingEmptySubsequences: false).map { Array($0) }
        func header(_ line: [UInt8]) -> (name: String, value: String)? {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return nil }
            let name = String(decoding: line[..<colon], as: UTF8.self).lowercased()
            let value = line[(colon + 1)...].filter { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") && $0 != 13 }
            return (name, String(decoding: value, as: UTF8.self).lowercased())
        }
        let upgrades = lines.dropFirst().compactMap(header).filter { $0.name == "upgrade" }.map(\.value)
        guard !upgrades.isEmpty, !upgrades.contains(where: { $0.contains("websocket") }) else { return nil }
        for index in lines.indices.dropFirst() {
            guard let name = header(lines[index])?.name, name == "upgrade" || name == "connection" else { continue }
            lines[index] = Array("X-Declined-".utf8) + lines[index]
        }
        return Array(lines.joined(separator: [10]))
    }
}

/// A child channel that puts `DeclinedUpgradeHandler` in front of `base`'s HTTP handlers
/// (behind TLS when wrapped in `TLSChannel`).
struct DeclinedUpgradeChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value
    let base: Base

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(DeclinedUpgradeHandler())
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
