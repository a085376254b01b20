import Testing

@testable import SkiffDNS

@Suite("DNS responder decisions")
struct DNSResponderTests {
    static let responder = DNSResponder(
        records: ClusterDNSRecords(services: [DNSService(namespace: "default", name: "web", clusterIPs: ["10.43.0.7"])]), forwarder: nil)

    static func reply(_ query: DNSMessage) throws -> DNSMessage? {
        guard case .reply(let bytes) = responder.decide(query.serialized(), overUDP: true) else { return nil }
        return try DNSMessage(parsing: bytes)
    }

    static func question(_ name: String, _ type: DNSRecordType = .a, questionClass: UInt16 = DNSClass.internet) throws -> DNSQuestion {
        DNSQuestion(name: try DNSName(name), type: type, questionClass: questionClass)
    }

    @Test("two questions in one query are a format error, an opcode other than QUERY is not implemented")
    func malformedQueries() throws {
        let two = DNSMessage(id: 1, questions: [try Self.question("a.cluster.local"), try Self.question("b.cluster.local")])
        #expect(try Self.reply(two)?.responseCode == .formatError)
        let none = DNSMessage(id: 2)
        #expect(try Self.reply(none)?.responseCode == .formatError)
        let status = DNSMessage(id: 3, opcode: 2, questions: [try Self.question("web.default.svc.cluster.local")])
        let reply = try #require(try Self.reply(status))
        #expect(reply.responseCode == .notImplemented && reply.id == 3 && reply.opcode == 2)
    }

    @Test("responses are never answered, so the server cannot be used to reflect packets")
    func responsesDropped() throws {
        let response = DNSMessage(id: 4, isResponse: true, questions: [try Self.question("web.default.svc.cluster.local")])
        guard case .drop = Self.responder.decide(response.serialized(), overUDP: true) else {
            Issue.record("a response was answered")
            return
        }
        guard case .drop = Self.responder.decide([0x12, 0x34, 0x81], overUDP: true) else {
            Issue.record("three bytes were answered")
            return
        }
    }

    @Test("the cluster zone answers only class IN (and ANY); CHAOS is refused")
    func otherClasses() throws {
        let chaos = DNSMessage(id: 5, questions: [try Self.question("web.default.svc.cluster.local", questionClass: 3)])
        #expect(try Self.reply(chaos)?.responseCode == .refused)
        let any = DNSMessage(id: 6, questions: [try Self.question("web.default.svc.cluster.local", questionClass: DNSClass.any)])
        #expect(try Self.reply(any)?.answers.count == 1)
    }

    @Test("the reply echoes ID, RD and the question's case, and adds OPT only when the query had one")
    func echoes() throws {
        var query = DNSMessage(id: 0xBEEF, recursionDesired: false, questions: [try Self.question("WEB.default.svc.cluster.local")])
        let plain = try #require(try Self.reply(query))
        #expect(plain.id == 0xBEEF && !plain.recursionDesired && plain.isAuthoritative && plain.isResponse)
        #expect(plain.questions.first?.name.description == "WEB.default.svc.cluster.local")
        #expect(plain.ednsRecord == nil)
        query.additional = [.opt(payloadSize: 4096)]
        #expect(try Self.reply(query)?.ednsRecord?.recordClass == 1232)
    }

    @Test("names outside the zone wait for the forwarder unless its cache already has them")
    func cachedAnswersNeedNoUpstream() throws {
        let forwarder = DNSForwarder(upstreams: [])
        let responder = DNSResponder(records: .empty, forwarder: forwarder)
        let question = try Self.question("www.example.com")
        let query = DNSMessage(id: 8, questions: [question])
        guard case .forward = responder.decide(query.serialized(), overUDP: true) else {
            Issue.record("an uncached name was answered without the upstreams")
            return
        }
        var upstream = query.response()
        upstream.answers = [.a(question.name, IPAddress("192.0.2.1")!, ttl: 60)]
        forwarder.cache.store(upstream, for: question)
        guard case .reply(let bytes) = responder.decide(query.serialized(), overUDP: true) else {
            Issue.record("a cached name still went upstream")
            return
        }
        let reply = try DNSMessage(parsing: bytes)
        #expect(reply.id == 8 && reply.answers.count == 1 && !reply.isAuthoritative)
    }
}
