import NIOCore
import SkiffNetwork
import Testing

@testable import SkiffDNS

@Suite("DNS forwarder")
struct DNSForwarderTests {

    static func question(_ name: String, _ type: DNSRecordType = .a) throws -> DNSQuestion {
        DNSQuestion(name: try DNSName(name), type: type)
    }

    @Test("a forwarded answer is cached for its smallest TTL and served with TTLs counted down")
    func positiveCaching() async throws {
        let upstream = FakeUpstream { query, _ in
            let name = query.questions[0].name
            return FakeUpstream.reply(
                to: query, [.a(name, IPAddress("192.0.2.1")!, ttl: 120), .a(name, IPAddress("192.0.2.2")!, ttl: 40)])
        }
        try await upstream.serve { address in
            let forwarder = DNSForwarder(upstreams: [address], timing: .roomy)
            let question = try Self.question("www.example.com")
            let first = await forwarder.resolve(question)
            #expect(first.responseCode == .noError && first.answers.count == 2)
            let second = await forwarder.resolve(try Self.question("WWW.Example.COM"))
            #expect(second.answers.count == 2)
            #expect(upstream.udpQueries == 1)
            #expect(forwarder.cache.cacheTTL(of: first) == 40)
            // Fifteen seconds later the TTLs have gone down by 15; after 40 s the entry is gone.
            let later = forwarder.cache.lookup(question, now: .now + .seconds(15))
            #expect(later?.answers.map(\.ttl) == [105, 25])
            #expect(forwarder.cache.lookup(question, now: .now + .seconds(41)) == nil)
        }
    }

    @Test("NXDOMAIN is cached for the SOA minimum, capped at 30 s; SERVFAIL is not cached")
    func negativeCaching() async throws {
        let upstream = FakeUpstream { query, _ in
            let name = query.questions[0].name.key
            if name.hasPrefix("short") { return FakeUpstream.reply(to: query, [], code: .nameError, soaMinimum: 10) }
            if name.hasPrefix("long") { return FakeUpstream.reply(to: query, [], code: .nameError, soaMinimum: 600) }
            return FakeUpstream.reply(to: query, [], code: .serverFailure)
        }
        try await upstream.serve { address in
            let forwarder = DNSForwarder(upstreams: [address], timing: .roomy)
            let short = await forwarder.resolve(try Self.question("short.example.com"))
            #expect(short.responseCode == .nameError)
            #expect(forwarder.cache.cacheTTL(of: short) == 10)
            let long = await forwarder.resolve(try Self.question("long.example.com"))
            #expect(forwarder.cache.cacheTTL(of: long) == 30)
            _ = await forwarder.resolve(try Self.question("long.example.com"))
            #expect(upstream.udpQueries == 2)
            let failed = await forwarder.resolve(try Self.question("broken.example.com"))
            #expect(failed.responseCode == .serverFailure)
            #expect(forwarder.cache.count == 2)
        }
    }

    @Test("a truncated UDP answer is fetched again over TCP")
    func truncatedRetriesOverTCP() async throws {
        let upstream = FakeUpstream { query, overTCP in
            let name = query.questions[0].name
            guard overTCP else {
                var reply = FakeUpstream.reply(to: query, [.a(name, IPAddress("192.0.2.1")!, ttl: 60)])
                reply.isTruncated = true
                return reply
            }
            return FakeUpstream.reply(to: query, (1...100).map { .a(name, IPAddress("192.0.2.\($0)")!, ttl: 60) })
        }
        try await upstream.serve { address in
            // A roomy budget: this is about TC → TCP, not timing, and CI machines are loaded.
            let forwarder = DNSForwarder(upstreams: [address], timing: .init(attemptTimeout: .seconds(5), budget: .seconds(10)))
            let answer = await forwarder.resolve(try Self.question("many.example.com"))
            #expect(answer.answers.count == 100)
            #expect(upstream.tcpQueries == 1)
        }
    }

    @Test("an upstream that never answers costs the budget (1.9 s by default), at most two attempts, and gives SERVFAIL")
    func deadUpstream() async throws {
        #expect(DNSForwarder.Timing().budget == .milliseconds(1900))
        let upstream = FakeUpstream { _, _ in nil }
        try await upstream.serve { address in
            let timing = DNSForwarder.Timing(attemptTimeout: .milliseconds(300), budget: .milliseconds(700))
            let forwarder = DNSForwarder(upstreams: [address], timing: timing)
            let start = ContinuousClock.now
            let answer = await forwarder.resolve(try Self.question("slow.example.com"))
            let elapsed = ContinuousClock.now - start
            #expect(answer.responseCode == .serverFailure)
            #expect(elapsed >= .milliseconds(600), "it waits for the upstream until the budget runs out")
            // Slack for a loaded CI machine, where the second attempt may not fit in the budget.
            #expect(elapsed < .seconds(4))
            #expect((1...2).contains(upstream.udpQueries))
        }
    }

    @Test("the second upstream answers when the first refuses")
    func nextUpstream() async throws {
        let refusing = FakeUpstream { query, _ in FakeUpstream.reply(to: query, [], code: .refused) }
        let working = FakeUpstream { query, _ in FakeUpstream.reply(to: query, [.a(query.questions[0].name, IPAddress("192.0.2.9")!, ttl: 60)]) }
        try await refusing.serve { first in
            try await working.serve { second in
                let forwarder = DNSForwarder(upstreams: [first, second], timing: .roomy)
                let answer = await forwarder.resolve(try Self.question("www.example.com"))
                #expect(answer.answers.count == 1)
                #expect(refusing.udpQueries == 1 && working.udpQueries == 1)
            }
        }
    }

    @Test("upstreams come from resolv.conf's nameservers, the cluster DNS address left out")
    func upstreamsFromResolvConf() {
        let conf = ResolvConf(parsing: "nameserver 10.43.0.10\nnameserver 192.0.2.53\nnameserver fd00::53\nnameserver bogus\n")
        let upstreams = DNSForwarder.upstreams(from: conf, excluding: ["10.43.0.10"])
        #expect(upstreams.map { $0.ipAddress ?? "" } == ["192.0.2.53", "fd00::53"])
        #expect(upstreams.allSatisfy { $0.port == 53 })
    }
}

extension DNSForwarder.Timing {
    /// For tests about what is answered, not when: a loaded CI machine can spend the default
    /// 1.9 s budget before a loopback upstream is even scheduled.
    static let roomy = DNSForwarder.Timing(attemptTimeout: .seconds(5), budget: .seconds(10))
}
