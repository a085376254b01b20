import Glibc
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The node's cluster DNS server: UDP and TCP on one address and port, answering the cluster
/// zone from the current `ClusterDNSRecords` and forwarding everything else. Run it in the
/// agent's ServiceGroup; call `update(_:)` from the Service/EndpointSlice watches.
public final class DNSServer: Service, Sendable {
    public struct Configuration: Sendable {
        /// The address to bind (the agent's cluster DNS address, 127.0.0.1 in tests).
        public var host: String
        /// 53 in a cluster; 0 picks a free port (UDP's, then TCP binds the same number).
        public var port: Int
        /// A TCP connection with no complete query for this long is closed.
        public var tcpIdleTimeout: Duration
        public var maxTCPConnections: Int
        /// Upstream queries in flight; past it new forwarded queries are dropped (the client retries).
        public var maxConcurrentForwards: Int

        public init(
            host: String = "127.0.0.1", port: Int = 53, tcpIdleTimeout: Duration = .seconds(10), maxTCPConnections: Int = 256,
            maxConcurrentForwards: Int = 1000
        ) {
            self.host = host
            self.port = port
            self.tcpIdleTimeout = tcpIdleTimeout
            self.maxTCPConnections = maxTCPConnections
            self.maxConcurrentForwards = maxConcurrentForwards
        }
    }

    public let configuration: Configuration
    let responder: DNSResponder
    private let group: any EventLoopGroup
    private let logger: Logger
    private let listening = Mutex(ListeningState.notYet([]))
    private let forwardsInFlight = Mutex(0)
    private let tcpConnections = Mutex(0)

    private enum ListeningState {
        case notYet([CheckedContinuation<Int, any Error>])
        case bound(Int)
        case failed(any Error)
    }

    /// - Parameter forwarder: nil answers SERVFAIL for names outside the cluster.
    public init(
        configuration: Configuration, records: ClusterDNSRecords = .empty, forwarder: DNSForwarder?,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger = Logger(label: "skiff.dns")
    ) {
        self.configuration = configuration
        self.responder = DNSResponder(records: records, forwarder: forwarder)
        self.group = group
        self.logger = logger
    }

    /// Replaces the cluster zone; queries already being answered finish with the old one.
    public func update(_ records: ClusterDNSRecords) {
        responder.snapshot.withLock { $0 = records }
    }

    /// The current cluster zone.
    public var records: ClusterDNSRecords { responder.snapshot.withLock { $0 } }

    /// The port both sockets are bound to, once `run()` has bound them.
    public func listeningPort() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<Int, any Error>? = listening.withLock { state in
                switch state {
                case .notYet(let waiting):
                    state = .notYet(waiting + [continuation])
                    return nil
                case .bound(let port): return .success(port)
                case .failed(let error): return .failure(error)
                }
            }
            if let ready { continuation.resume(with: ready) }
        }
    }

    /// Binds UDP, then TCP on the same port, and serves until cancelled or shut down
    /// gracefully. Throws when either socket cannot be bound (the address missing, port 53 taken).
    public func run() async throws {
        let udp: NIOAsyncChannel<DNSDatagramHandler.ForwardRequest, AddressedEnvelope<ByteBuffer>>
        let tcp: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
        do {
            (udp, tcp) = try await bindBoth()
            let port = udp.channel.localAddress?.port ?? configuration.port
            logger.info("cluster DNS listening", metadata: ["address": "\(configuration.host):\(port)"])
            finishListening(.bound(port))
        } catch {
            finishListening(.failed(error))
            throw error
        }
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await self.serveUDP(udp) }
                group.addTask { try await self.serveTCP(tcp) }
            }
        } onCancelOrGracefulShutdown: {
            udp.channel.close(promise: nil)
            tcp.channel.close(promise: nil)
        }
    }

    /// UDP, then TCP on the same port. With port 0 the UDP port the kernel picks may already be
    /// some TCP socket's (a CI run's busy loopback had one): then both are given up and another
    /// pair is tried, a few times.
    private func bindBoth() async throws -> (
        NIOAsyncChannel<DNSDatagramHandler.ForwardRequest, AddressedEnvelope<ByteBuffer>>, NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
    ) {
        var attempt = 1
        while true {
            let udp = try await bindUDP(port: configuration.port)
            do {
                return (udp, try await bindTCP(port: udp.channel.localAddress?.port ?? configuration.port))
            } catch let error as IOError where error.errnoCode == EADDRINUSE && configuration.port == 0 && attempt < 5 {
                try? await udp.channel.close()
                attempt += 1
            } catch {
                // Without TCP, truncated answers could not be fetched: serve neither.
                try? await udp.channel.close()
                throw error
            }
        }
    }

    private func finishListening(_ result: ListeningState) {
        let waiting = listening.withLock { state -> [CheckedContinuation<Int, any Error>] in
            guard case .notYet(let waiting) = state else { return [] }
            state = result
            return waiting
        }
        for continuation in waiting {
            switch result {
            case .bound(let port): continuation.resume(returning: port)
            case .failed(let error): continuation.resume(throwing: error)
            case .notYet: break
            }
        }
    }

    private func bindUDP(port: Int) async throws -> NIOAsyncChannel<DNSDatagramHandler.ForwardRequest, AddressedEnvelope<ByteBuffer>> {
        let responder = self.responder
        return try await DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            // Room for bursts (dnsperf keeps hundreds of queries in flight).
            .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
            .bind(host: configuration.host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([DNSDatagramHandler(responder: responder), SocketErrorFilter()])
                    return try NIOAsyncChannel<DNSDatagramHandler.ForwardRequest, AddressedEnvelope<ByteBuffer>>(
                        wrappingChannelSynchronously: channel)
                }
            }
    }

    private func bindTCP(port: Int) async throws -> NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never> {
        let idle = configuration.tcpIdleTimeout.timeAmount
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // A client may shut its side down after its last query and still read the answers.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(SocketErrorFilter()) }
            }
            .bind(host: configuration.host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        IdleStateHandler(readTimeout: idle), CloseOnIdleHandler(), ByteToMessageHandler(DNSFrameDecoder()),
                    ])
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }

    /// Cluster names are answered by DNSDatagramHandler on the event loop; what reaches this
    /// loop needs an upstream, and each such query gets a child task so a slow upstream never
    /// stalls the others.
    private func serveUDP(_ channel: NIOAsyncChannel<DNSDatagramHandler.ForwardRequest, AddressedEnvelope<ByteBuffer>>) async throws {
        let limit = configuration.maxConcurrentForwards
        try await channel.executeThenClose { inbound, outbound in
            try await withThrowingDiscardingTaskGroup { group in
                for try await request in inbound {
                    guard admitForward(limit: limit) else { continue }
                    group.addTask {
                        defer { self.forwardsInFlight.withLock { $0 -= 1 } }
                        let bytes = await self.responder.forward(request.pending, overUDP: true)
                        // The socket may be closing on shutdown; the client retries elsewhere.
                        try? await outbound.write(AddressedEnvelope(remoteAddress: request.client, data: ByteBuffer(bytes: bytes)))
                    }
                }
            }
        }
    }

    private func admitForward(limit: Int) -> Bool {
        forwardsInFlight.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    private func serveTCP(_ server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>) async throws {
        let limit = configuration.maxTCPConnections
        try await server.executeThenClose { connections in
            try await withThrowingDiscardingTaskGroup { group in
                for try await connection in connections {
                    let admitted = tcpConnections.withLock { count in
                        guard count < limit else { return false }
                        count += 1
                        return true
                    }
                    guard admitted else {
                        connection.channel.close(promise: nil)
                        continue
                    }
                    group.addTask {
                        defer { self.tcpConnections.withLock { $0 -= 1 } }
                        await self.serve(connection)
                    }
                }
            }
        }
    }

    /// Queries on one connection are answered in order (RFC 7766 allows pipelining; answering
    /// in order is the simple conforming choice).
    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        let allocator = connection.channel.allocator
        do {
            try await connection.executeThenClose { inbound, outbound in
                for try await frame in inbound {
                    let bytes: [UInt8]
                    switch responder.decide(Array(frame.readableBytesView), overUDP: false) {
                    case .drop: continue
                    case .reply(let reply): bytes = reply
                    case .forward(let pending): bytes = await responder.forward(pending, overUDP: false)
                    }
                    try await outbound.write(DNSFrameDecoder.frame(bytes, allocator: allocator))
                }
            }
        } catch {
            logger.debug("DNS over TCP connection ended", metadata: ["error": "\(error)"])
        }
    }
}
