import NIOCore
import NIOPosix
import SkiffNetwork

/// Resolves names outside the cluster through the host's resolvers: from the cache when it
/// can, else over UDP to each upstream in turn (TCP when the UDP answer is truncated), within
/// a fixed budget so a dead upstream costs a client at most `budget`, answered SERVFAIL.
public final class DNSForwarder: Sendable {
    public struct Timing: Sendable {
        /// How long one upstream gets to answer one attempt.
        public var attemptTimeout: Duration
        /// The whole query's budget, over all attempts.
        public var budget: Duration

        public init(attemptTimeout: Duration = .milliseconds(900), budget: Duration = .milliseconds(1900)) {
            self.attemptTimeout = attemptTimeout
            self.budget = budget
        }
    }

    /// The payload size advertised upstream: the DNS flag day 2020 value, small enough to avoid
    /// IP fragmentation on any path.
    static let upstreamPayloadSize: UInt16 = 1232

    public let upstreams: [SocketAddress]
    public let cache: DNSCache
    let timing: Timing
    private let exchange: DNSUpstreamExchange

    public init(
        upstreams: [SocketAddress], cache: DNSCache = DNSCache(), timing: Timing = Timing(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.upstreams = upstreams
        self.cache = cache
        self.timing = timing
        self.exchange = DNSUpstreamExchange(group: group)
    }

    /// The nameservers of a resolv.conf as socket addresses on port 53. Addresses listed in
    /// `excluding` (the cluster DNS server's own) are left out so queries cannot loop.
    public static func upstreams(from resolvConf: ResolvConf, excluding: [String] = []) -> [SocketAddress] {
        resolvConf.nameservers.filter { !excluding.contains($0) }.compactMap { server in
            // A scoped IPv6 address ("fe80::1%eth0") keeps its zone for the socket layer.
            try? SocketAddress(ipAddress: server, port: 53)
        }
    }

    /// The upstream answer to `question`, or a SERVFAIL response when every attempt failed.
    /// The response's ID is 0: the server sets the client's.
    public func resolve(_ question: DNSQuestion, checkingDisabled: Bool = false) async -> DNSMessage {
        if let cached = cache.lookup(question, checkingDisabled: checkingDisabled) { return cached }
        let start = ContinuousClock.now
        var failure: DNSMessage?
        var attempt = 0
        while !upstreams.isEmpty, attempt < max(2, upstreams.count) {
            let remaining = timing.budget - (ContinuousClock.now - start)
            guard remaining > .milliseconds(50) else { break }
            let upstream = upstreams[attempt % upstreams.count]
            attempt += 1
            var query = DNSMessage(id: UInt16.random(in: 0...UInt16.max), checkingDisabled: checkingDisabled, questions: [question])
            query.additional = [.opt(payloadSize: Self.upstreamPayloadSize)]
            let timeout = min(timing.attemptTimeout, remaining)
            guard var reply = try? await exchange.udp(query, to: upstream, timeout: timeout) else { continue }
            if reply.isTruncated {
                guard
                    let full = try? await exchange.tcp(query, to: upstream, timeout: min(timing.attemptTimeout, timing.budget - (ContinuousClock.now - start)))
                else {
                    continue
                }
                reply = full
            }
            // SERVFAIL, REFUSED and NOTIMP are this upstream's problem: another may answer.
            guard reply.responseCode == .noError || reply.responseCode == .nameError else {
                failure = reply
                continue
            }
            cache.store(reply, for: question, checkingDisabled: checkingDisabled)
            return reply
        }
        var response = failure ?? DNSMessage(id: 0, isResponse: true, questions: [question])
        response.responseCode = .serverFailure
        response.answers = []
        response.authority = []
        response.additional = []
        return response
    }
}
