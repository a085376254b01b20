import NIOCore
import Testing

@testable import SkiffDNS

@Suite("DNS server on loopback")
struct DNSServerTests {
    static func server(records: ClusterDNSRecords = ClusterDNSRecords(services: []), forwarder: DNSForwarder? = nil) -> DNSServer {
        DNSServer(configuration: DNSServer.Configuration(host: "127.0.0.1", port: 0, tcpIdleTimeout: .seconds(1)), records: records, forwarder: forwarder)
    }

    static let big = ClusterDNSRecords(services: [
        DNSService(
            namespace: "default", name: "big", ports: [DNSPort(name: "http", port: 80)],
            endpoints: (0..<100).map { DNSEndpoint(address: "10.42.\($0 / 250).\($0 % 250 + 1)") })
    ])

    @Test("answers over UDP, and records updated while running are served at once")
    func updates() async throws {
        let server = Self.server()
        try await server.whileRunning { port in
            let before = try await DNSTestClient.query("web.default.svc.cluster.local", .a, port: port)
            #expect(before?.responseCode == .nameError)
            #expect(before?.isAuthoritative == true)
            server.update(ClusterDNSRecords(services: [DNSService(namespace: "default", name: "web", clusterIPs: ["10.43.0.7"])]))
            let after = try await DNSTestClient.query("web.default.svc.cluster.local", .a, port: port)
            #expect(after?.responseCode == .noError)
            #expect(after?.answers.first?.data == .address(IPAddress("10.43.0.7")!))
        }
    }

    @Test("garbage with a readable header gets FORMERR, shorter garbage and responses get nothing, and the server keeps answering")
    func garbage() async throws {
        let server = Self.server(records: Self.big)
        try await server.whileRunning { port in
            let formerr = try await DNSTestClient.udp([0xAB, 0xCD, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12], port: port)
            let reply = try DNSMessage(parsing: try #require(formerr))
            #expect(reply.id == 0xABCD && reply.responseCode == .formatError && reply.isResponse)
            #expect(try await DNSTestClient.udp([1, 2, 3], port: port, timeout: .milliseconds(300)) == nil)
            var response = DNSMessage(id: 9, isResponse: true, questions: [DNSQuestion(name: try DNSName("x.cluster.local"), type: .a)])
            response.answers = []
            #expect(try await DNSTestClient.udp(response.serialized(), port: port, timeout: .milliseconds(300)) == nil)
            // An oversized datagram: cut by the receive buffer, answered FORMERR or dropped.
            _ = try await DNSTestClient.udp(
                [0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0] + [UInt8](repeating: 0x3F, count: 60_000), port: port, timeout: .milliseconds(300))
            let still = try await DNSTestClient.query("_http._tcp.big.default.svc.cluster.local", .srv, port: port, edns: true)
            #expect(still?.responseCode == .noError)
            #expect(still?.answers.isEmpty == false)
        }
    }

    @Test("a big answer is truncated with TC over UDP and served whole over TCP")
    func truncationAndTCP() async throws {
        let server = Self.server(records: Self.big)
        try await server.whileRunning { port in
            let udp = try #require(try await DNSTestClient.query("big.default.svc.cluster.local", .a, port: port))
            #expect(udp.isTruncated)
            #expect(udp.answers.count < 100)
            let query = DNSMessage(id: 77, questions: [DNSQuestion(name: try DNSName("big.default.svc.cluster.local"), type: .a)])
            let whole = try await DNSTestClient.tcp(port: port) { inbound, outbound, channel in
                // Two queries in one write, the second split over two writes: framing, not packets.
                let bytes = query.serialized()
                try await outbound.write(DNSFrameDecoder.frame(bytes, allocator: channel.allocator))
                let framed = DNSFrameDecoder.frame(bytes, allocator: channel.allocator)
                try await outbound.write(framed.getSlice(at: 0, length: 5)!)
                try await outbound.write(framed.getSlice(at: 5, length: framed.readableBytes - 5)!)
                var replies: [DNSMessage] = []
                for try await frame in inbound {
                    replies.append(try DNSMessage(parsing: Array(frame.readableBytesView)))
                    if replies.count == 2 { break }
                }
                return replies
            }
            #expect(whole.count == 2)
            #expect(whole.allSatisfy { !$0.isTruncated && $0.answers.count == 100 && $0.id == 77 })
        }
    }

    @Test("an address the host does not have fails run() and the wait for the port")
    func bindFailure() async throws {
        let server = DNSServer(configuration: DNSServer.Configuration(host: "192.0.2.1", port: 0), forwarder: nil)
        await #expect(throws: (any Error).self) { try await server.run() }
        await #expect(throws: (any Error).self) { try await server.listeningPort() }
    }

    @Test("a TCP client that shuts down its sending side after the query still gets the answer")
    func halfClose() async throws {
        let server = Self.server()
        try await server.whileRunning { port in
            let query = DNSMessage(id: 5, questions: [DNSQuestion(name: try DNSName("cluster.local"), type: .soa)])
            let reply = try await DNSTestClient.tcp(port: port) { inbound, outbound, channel -> DNSMessage? in
                try await outbound.write(DNSFrameDecoder.frame(query.serialized(), allocator: channel.allocator))
                outbound.finish()
                for try await frame in inbound { return try DNSMessage(parsing: Array(frame.readableBytesView)) }
                return nil
            }
            #expect(reply?.id == 5 && reply?.answers.count == 1)
        }
    }

    @Test("a TCP client that stalls mid-frame is disconnected after the idle timeout")
    func slowTCPClient() async throws {
        let server = Self.server()
        try await server.whileRunning { port in
            let start = ContinuousClock.now
            let closed = try await DNSTestClient.tcp(port: port) { inbound, outbound, channel in
                var partial = channel.allocator.buffer(capacity: 4)
                partial.writeBytes([0, 40, 0x12])
                try await outbound.write(partial)
                // The server's close ends the stream, cleanly or with a reset.
                do { for try await _ in inbound {} } catch {}
                return true
            }
            #expect(closed)
            #expect(ContinuousClock.now - start < .seconds(5))
            let answer = try await DNSTestClient.query("cluster.local", .soa, port: port)
            #expect(answer?.answers.count == 1)
        }
    }

    @Test("names outside the cluster are forwarded, ExternalNames chased upstream, and SERVFAIL comes without upstreams")
    func forwarding() async throws {
        let upstream = FakeUpstream { query, _ in
            FakeUpstream.reply(to: query, [.a(query.questions[0].name, IPAddress("192.0.2.80")!, ttl: 60)])
        }
        try await upstream.serve { address in
            let records = ClusterDNSRecords(services: [DNSService(namespace: "default", name: "ext", externalName: "www.example.com")])
            let server = Self.server(records: records, forwarder: DNSForwarder(upstreams: [address], timing: .roomy))
            try await server.whileRunning { port in
                let forwarded = try #require(try await DNSTestClient.query("www.example.com", .a, port: port))
                #expect(forwarded.answers.first?.data == .address(IPAddress("192.0.2.80")!))
                #expect(!forwarded.isAuthoritative && forwarded.recursionAvailable)
                // The second asking is served from the cache, in another case.
                let cached = try #require(try await DNSTestClient.query("WWW.example.com", .a, port: port))
                #expect(cached.answers.count == 1 && cached.questions.first?.name.description == "WWW.example.com")
                #expect(upstream.udpQueries == 1)
                let chased = try #require(try await DNSTestClient.query("ext.default.svc.cluster.local", .a, port: port))
                #expect(chased.answers.map(\.type) == [.cname, .a])
            }
        }
        let lonely = Self.server()
        try await lonely.whileRunning { port in
            let answer = try await DNSTestClient.query("www.example.com", .a, port: port)
            #expect(answer?.responseCode == .serverFailure)
        }
    }
}
