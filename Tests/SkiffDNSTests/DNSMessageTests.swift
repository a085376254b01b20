import SkiffTestSupport
import Testing

@testable import SkiffDNS

@Suite("DNS message codec")
struct DNSMessageTests {
    static func name(_ text: String) -> DNSName {
        (try? DNSName(text)) ?? .root
    }

    static let sample: DNSMessage = {
        let owner = name("web.default.svc.cluster.local")
        var message = DNSMessage(id: 0x1234, isResponse: true, isAuthoritative: true, recursionAvailable: true)
        message.questions = [DNSQuestion(name: owner, type: .any)]
        message.answers = [
            .a(owner, IPAddress("10.43.0.7")!, ttl: 5),
            .a(owner, IPAddress("fd00:10:43::7")!, ttl: 5),
            DNSResourceRecord(name: owner, type: .cname, ttl: 5, data: .name(name("other.example.com"))),
            DNSResourceRecord(
                name: name("_http._tcp.web.default.svc.cluster.local"), type: .srv, ttl: 5,
                data: .srv(DNSServiceRecord(priority: 0, weight: 100, port: 80, target: owner))),
            DNSResourceRecord(name: name("7.0.43.10.in-addr.arpa"), type: .ptr, ttl: 5, data: .name(owner)),
            DNSResourceRecord(name: owner, type: .mx, ttl: 5, data: .mx(preference: 10, exchange: name("mail.cluster.local"))),
            DNSResourceRecord(name: owner, type: .txt, ttl: 5, data: .text([Array("1.1.0".utf8), []])),
            DNSResourceRecord(name: owner, type: DNSRecordType(rawValue: 99), ttl: 5, data: .opaque([1, 2, 3])),
        ]
        message.authority = [
            DNSResourceRecord(
                name: name("cluster.local"), type: .soa, ttl: 5,
                data: .soa(
                    DNSStartOfAuthority(
                        primary: name("ns.dns.cluster.local"), mailbox: name("hostmaster.cluster.local"), serial: 9, refresh: 7200, retry: 1800,
                        expire: 86400, minimum: 5)))
        ]
        message.additional = [.opt(payloadSize: 1232)]
        return message
    }()

    @Test("every record kind survives a write and a read, compressed")
    func roundTrip() throws {
        let bytes = Self.sample.serialized()
        let parsed = try DNSMessage(parsing: bytes)
        #expect(parsed == Self.sample)
        // Repeated owner names are written once: the uncompressed form is much longer.
        let uncompressed = Self.sample.answers.reduce(0) { $0 + $1.name.wireLength }
        #expect(bytes.count < 12 + uncompressed + 200)
        #expect(parsed.maxUDPResponseSize == 1232)
    }

    @Test("names compare without case and print like dig")
    func names() throws {
        let upper = try DNSName("Web.Default.SVC.Cluster.Local.")
        #expect(upper.key == "web.default.svc.cluster.local")
        #expect(upper.description == "Web.Default.SVC.Cluster.Local")
        #expect(upper.isSubdomain(of: try DNSName("cluster.LOCAL")))
        #expect(!upper.isSubdomain(of: try DNSName("luster.local")))
        #expect(throws: DNSMessageError.labelTooLong(64)) { try DNSName(String(repeating: "a", count: 64) + ".local") }
        #expect(throws: DNSMessageError.nameTooLong) { try DNSName(Array(repeating: String(repeating: "a", count: 60), count: 5).joined(separator: ".")) }
    }

    @Test("addresses parse, print and reverse like inet_pton and dig -x")
    func addresses() {
        #expect(IPAddress("10.43.0.10")?.reverseName.description == "10.0.43.10.in-addr.arpa")
        #expect(IPAddress("fd00::1")?.description == "fd00::1")
        #expect(IPAddress("2001:db8:0:0:1:0:0:1")?.description == "2001:db8::1:0:0:1")
        #expect(IPAddress("::ffff:1.2.3.4")?.bytes.suffix(4) == [1, 2, 3, 4])
        #expect(IPAddress(dashed: "10-42-0-5")?.description == "10.42.0.5")
        #expect(IPAddress("fd00::1")?.reverseName.description.hasPrefix("1.0.0.0.0.0.0.0") == true)
        for bad in ["10.43.0", "256.1.1.1", "1.2.3.04", "fd00:::1", "1::2::3", "g::1", ""] { #expect(IPAddress(bad) == nil, "\(bad)") }
    }

    @Test("every truncation of a valid message is an error, never a crash")
    func truncations() {
        let bytes = Self.sample.serialized()
        for length in 0..<bytes.count {
            #expect(throws: DNSMessageError.self) { try DNSMessage(parsing: Array(bytes.prefix(length))) }
        }
        #expect(throws: DNSMessageError.trailingBytes(1)) { try DNSMessage(parsing: bytes + [0]) }
    }

    @Test("compression pointers that loop or jump forward are rejected")
    func hostilePointers() {
        let header: [UInt8] = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
        // A pointer to itself, one to the next byte, and two names pointing at each other.
        #expect(throws: DNSMessageError.badPointer(12)) { try DNSMessage(parsing: header + [0xC0, 12, 0, 1, 0, 1]) }
        #expect(throws: DNSMessageError.badPointer(14)) { try DNSMessage(parsing: header + [0xC0, 14, 0, 0, 1, 0, 1]) }
        #expect(throws: DNSMessageError.badLabelType(0x80)) { try DNSMessage(parsing: header + [0x80, 0, 0, 1, 0, 1]) }
        // Five questions, each a 63-byte label in front of the previous one: the fourth is 257 bytes long.
        var chain = header
        chain[5] = 5
        var previous = chain.count
        chain += [63] + [UInt8](repeating: 0x61, count: 63) + [0, 0, 1, 0, 1]
        for _ in 0..<4 {
            let start = chain.count
            chain += [63] + [UInt8](repeating: 0x62, count: 63) + [0xC0 | UInt8(previous >> 8), UInt8(previous & 0xFF)] + [0, 1, 0, 1]
            previous = start
        }
        #expect(throws: DNSMessageError.nameTooLong) { try DNSMessage(parsing: chain) }
    }

    @Test("a valid message with random bytes changed is parsed or rejected without crashing")
    func mutations() {
        var generator = SeededGenerator(seed: 42)
        let sample = Self.sample.serialized()
        var parsed = 0
        var rejected = 0
        for _ in 0..<20_000 {
            var bytes = sample
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            if Bool.random(using: &generator) { bytes.removeLast(Int.random(in: 0..<bytes.count, using: &generator)) }
            if (try? DNSMessage(parsing: bytes)) != nil { parsed += 1 } else { rejected += 1 }
        }
        #expect(parsed > 0 && rejected > 0)
    }

    @Test("a UDP answer too big for the client is cut at a record boundary with TC set")
    func truncation() throws {
        let owner = Self.name("big.default.svc.cluster.local")
        var message = DNSMessage(id: 7, isResponse: true, questions: [DNSQuestion(name: owner, type: .a)])
        message.answers = (0..<200).map { .a(owner, IPAddress("10.42.0.\($0)")!, ttl: 5) }
        message.additional = [.opt(payloadSize: 1232)]
        let small = message.serialized(maxSize: 512)
        #expect(small.count <= 512)
        let parsed = try DNSMessage(parsing: small)
        #expect(parsed.isTruncated)
        #expect(parsed.answers.count > 10 && parsed.answers.count < 200)
        #expect(parsed.ednsRecord != nil)
        let full = try DNSMessage(parsing: message.serialized())
        #expect(!full.isTruncated && full.answers.count == 200)
    }
}
