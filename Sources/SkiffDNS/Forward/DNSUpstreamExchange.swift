import NIOCore
import NIOPosix

/// One query sent to one upstream resolver and its answer read back, over UDP or TCP. A reply
/// is accepted only from the upstream's address, with the query's ID and question (so a
/// spoofed or stale datagram is ignored); the socket is closed when the timeout fires.
struct DNSUpstreamExchange: Sendable {
    let group: any EventLoopGroup

    func udp(_ query: DNSMessage, to upstream: SocketAddress, timeout: Duration) async throws -> DNSMessage? {
        let bytes = query.serialized()
        let channel = try await DatagramBootstrap(group: group).bind(host: upstream.protocol == .inet6 ? "::" : "0.0.0.0", port: 0) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(wrappingChannelSynchronously: channel)
            }
        }
        let deadline = Self.closeAfter(timeout, channel.channel)
        defer { deadline.cancel() }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(AddressedEnvelope(remoteAddress: upstream, data: ByteBuffer(bytes: bytes)))
            do {
                for try await envelope in inbound where envelope.remoteAddress == upstream {
                    if let reply = Self.reply(to: query, in: Array(envelope.data.readableBytesView)) { return reply }
                }
            } catch {
                // The deadline closed the socket under the read.
            }
            return nil
        }
    }

    func tcp(_ query: DNSMessage, to upstream: SocketAddress, timeout: Duration) async throws -> DNSMessage? {
        let bytes = query.serialized()
        let channel = try await ClientBootstrap(group: group).connectTimeout(timeout.timeAmount).connect(to: upstream) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(DNSFrameDecoder()))
                return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
        let deadline = Self.closeAfter(timeout, channel.channel)
        defer { deadline.cancel() }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(DNSFrameDecoder.frame(bytes, allocator: channel.channel.allocator))
            do {
                for try await frame in inbound {
                    if let reply = Self.reply(to: query, in: Array(frame.readableBytesView)) { return reply }
                }
            } catch {
                // The deadline closed the connection under the read.
            }
            return nil
        }
    }

    private static func closeAfter(_ timeout: Duration, _ channel: any Channel) -> Scheduled<Void> {
        channel.eventLoop.scheduleTask(in: timeout.timeAmount) { channel.close(promise: nil) }
    }

    private static func reply(to query: DNSMessage, in bytes: [UInt8]) -> DNSMessage? {
        guard let reply = try? DNSMessage(parsing: bytes), reply.isResponse, reply.id == query.id,
            reply.questions.count == query.questions.count,
            zip(reply.questions, query.questions).allSatisfy({ $0.name.key == $1.name.key && $0.type == $1.type })
        else { return nil }
        return reply
    }
}
