import NIOCore
import NIOPosix
import Synchronization

@testable import SkiffDNS

/// An upstream resolver on 127.0.0.1 (UDP and TCP on one port) whose answers the test writes,
/// counting the queries it sees.
final class FakeUpstream: Sendable {
    typealias Answer = @Sendable (_ query: DNSMessage, _ overTCP: Bool) -> DNSMessage?

    let answer: Answer
    private let counts = Mutex((udp: 0, tcp: 0))

    init(answer: @escaping Answer) {
        self.answer = answer
    }

    var udpQueries: Int { counts.withLock { $0.udp } }
    var tcpQueries: Int { counts.withLock { $0.tcp } }

    /// Runs `body` with the upstream listening; returns after closing its sockets.
    func serve<Result: Sendable>(_ body: @Sendable (SocketAddress) async throws -> Result) async throws -> Result {
        let (udp, tcp, port) = try await bind()
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask {
                try await udp.executeThenClose { inbound, outbound in
                    for try await envelope in inbound {
                        guard let query = try? DNSMessage(parsing: Array(envelope.data.readableBytesView)) else { continue }
                        self.counts.withLock { $0.udp += 1 }
                        guard let reply = self.answer(query, false) else { continue }
                        try await outbound.write(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: ByteBuffer(bytes: reply.serialized())))
                    }
                }
                return nil
            }
            group.addTask {
                try await tcp.executeThenClose { connections in
                    for try await connection in connections {
                        try? await connection.executeThenClose { inbound, outbound in
                            for try await frame in inbound {
                                guard let query = try? DNSMessage(parsing: Array(frame.readableBytesView)) else { continue }
                                self.counts.withLock { $0.tcp += 1 }
                                guard let reply = self.answer(query, true) else { continue }
                                try await outbound.write(DNSFrameDecoder.frame(reply.serialized(), allocator: connection.channel.allocator))
                            }
                        }
                    }
                }
                return nil
            }
            let result = try await body(try SocketAddress(ipAddress: "127.0.0.1", port: port))
            udp.channel.close(promise: nil)
            tcp.channel.close(promise: nil)
            group.cancelAll()
            return result
        }
    }

    typealias UDPChannel = NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>
    typealias TCPListener = NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>

    /// UDP on a free port, then TCP on the same number. Another process may hold that number for
    /// TCP: the UDP channel is then closed through `executeThenClose` (an async channel dropped
    /// unfinished traps) and another port is tried.
    private func bind() async throws -> (UDPChannel, TCPListener, Int) {
        var attempt = 0
        while true {
            let udp = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture { try UDPChannel(wrappingChannelSynchronously: channel) }
            }
            let port = udp.channel.localAddress?.port ?? 0
            do {
                let tcp = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(DNSFrameDecoder()))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
                return (udp, tcp, port)
            } catch {
                try? await udp.executeThenClose { _, _ in }
                attempt += 1
                guard attempt < 10 else { throw error }
            }
        }
    }

    /// A reply to `query` carrying `records` (or `code` with the SOA in authority when empty).
    static func reply(
        to query: DNSMessage, _ records: [DNSResourceRecord], code: DNSResponseCode = .noError, soaMinimum: UInt32 = 60
    )
        -> DNSMessage
    {
        var reply = query.response(code: code)
        reply.additional = []
        reply.answers = records
        if records.isEmpty {
            let soa = DNSStartOfAuthority(
                primary: .root, mailbox: .root, serial: 1, refresh: 1, retry: 1, expire: 1, minimum: soaMinimum)
            reply.authority = [DNSResourceRecord(name: .root, type: .soa, ttl: 3600, data: .soa(soa))]
        }
        return reply
    }
}
