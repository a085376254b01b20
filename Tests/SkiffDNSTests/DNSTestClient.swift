import NIOCore
import NIOPosix

@testable import SkiffDNS

/// Raw DNS exchanges with a server under test: a datagram (or a TCP frame) out, the first
/// reply back, nil on timeout.
enum DNSTestClient {
    static func udp(_ bytes: [UInt8], port: Int, timeout: Duration = .seconds(3)) async throws -> [UInt8]? {
        let server = try SocketAddress(ipAddress: "127.0.0.1", port: port)
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(wrappingChannelSynchronously: channel)
            }
        }
        let timer = channel.channel.eventLoop.scheduleTask(in: timeout.timeAmount) { channel.channel.close(promise: nil) }
        defer { timer.cancel() }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(AddressedEnvelope(remoteAddress: server, data: ByteBuffer(bytes: bytes)))
            do {
                for try await envelope in inbound { return Array(envelope.data.readableBytesView) }
            } catch {}
            return nil
        }
    }

    static func query(_ name: String, _ type: DNSRecordType, port: Int, edns: Bool = false) async throws -> DNSMessage? {
        var query = DNSMessage(id: UInt16.random(in: 1...UInt16.max), questions: [DNSQuestion(name: try DNSName(name), type: type)])
        if edns { query.additional = [.opt(payloadSize: 4096)] }
        guard let reply = try await udp(query.serialized(), port: port) else { return nil }
        return try DNSMessage(parsing: reply)
    }

    /// Opens a TCP connection; `body` gets the channel to write raw bytes and read frames.
    static func tcp<Result: Sendable>(
        port: Int, _ body: (NIOAsyncChannelInboundStream<ByteBuffer>, NIOAsyncChannelOutboundWriter<ByteBuffer>, any Channel) async throws -> Result
    ) async throws -> Result {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(DNSFrameDecoder()))
                // Finishing the writer shuts down only the sending side.
                return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                    wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
            }
        }
        let timer = channel.channel.eventLoop.scheduleTask(in: .seconds(10)) { channel.channel.close(promise: nil) }
        defer { timer.cancel() }
        return try await channel.executeThenClose { inbound, outbound in try await body(inbound, outbound, channel.channel) }
    }
}
