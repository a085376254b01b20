import Testing

@testable import SkiffDNS

@Suite("Cluster DNS records")
struct ClusterDNSRecordsTests {
    static let records = ClusterDNSRecords(
        serial: 3, nameserverAddresses: ["10.43.0.10"],
        services: [
            DNSService(
                namespace: "default", name: "web", clusterIPs: ["10.43.0.7", "fd00:43::7"],
                ports: [DNSPort(name: "http", port: 80), DNSPort(name: "dns", protocol: "UDP", port: 53), DNSPort(name: nil, port: 8080)]),
            DNSService(
                namespace: "db", name: "pg", ports: [DNSPort(name: "pg", port: 5432)],
                endpoints: [
                    DNSEndpoint(address: "10.42.0.5", hostname: "pg-0"), DNSEndpoint(address: "10.42.1.6"),
                    DNSEndpoint(address: "10.42.2.7", hostname: "pg-2", ready: false),
                ]),
            DNSService(namespace: "default", name: "ext", externalName: "example.com"),
            DNSService(namespace: "default", name: "alias", externalName: "web.default.svc.cluster.local"),
            DNSService(namespace: "default", name: "empty"),
        ])

    static func ask(_ name: String, _ type: DNSRecordType) -> ClusterDNSAnswer? {
        guard let name = try? DNSName(name) else { return nil }
        return records.answer(DNSQuestion(name: name, type: type))
    }

    static func rdata(_ answer: ClusterDNSAnswer?) -> [String] {
        (answer?.answers ?? []).map { record in
            switch record.data {
            case .address(let address): "\(record.type) \(address)"
            case .name(let name): "\(record.type) \(name)"
            case .srv(let srv): "SRV \(srv.priority) \(srv.weight) \(srv.port) \(srv.target)"
            case .text(let strings): "TXT " + strings.map { String(decoding: $0, as: UTF8.self) }.joined()
            default: "\(record.type)"
            }
        }
    }

    @Test("a ClusterIP service's name answers its ClusterIP, authoritative, with TTL 5 and the asker's case")
    func clusterIP() throws {
        let answer = try #require(Self.ask("Web.Default.SVC.cluster.local", .a))
        #expect(answer.code == .noError)
        #expect(Self.rdata(answer) == ["A 10.43.0.7"])
        #expect(answer.answers.first?.ttl == 5)
        #expect(answer.answers.first?.name.description == "Web.Default.SVC.cluster.local")
        #expect(Self.rdata(Self.ask("web.default.svc.cluster.local", .aaaa)) == ["AAAA fd00:43::7"])
    }

    @Test("a headless service answers one A per ready endpoint, and each endpoint has its own name")
    func headless() {
        #expect(Self.rdata(Self.ask("pg.db.svc.cluster.local", .a)) == ["A 10.42.0.5", "A 10.42.1.6"])
        #expect(Self.rdata(Self.ask("pg-0.pg.db.svc.cluster.local", .a)) == ["A 10.42.0.5"])
        #expect(Self.rdata(Self.ask("10-42-1-6.pg.db.svc.cluster.local", .a)) == ["A 10.42.1.6"])
        // Not ready: not published.
        #expect(Self.ask("pg-2.pg.db.svc.cluster.local", .a)?.code == .nameError)
    }

    @Test("named ports get SRV records pointing at the service or at each endpoint, with their addresses as additionals")
    func serviceRecords() throws {
        let web = try #require(Self.ask("_http._tcp.web.default.svc.cluster.local", .srv))
        #expect(Self.rdata(web) == ["SRV 0 100 80 web.default.svc.cluster.local"])
        #expect(web.additional.count == 2)
        #expect(Self.rdata(Self.ask("_dns._udp.web.default.svc.cluster.local", .srv)) == ["SRV 0 100 53 web.default.svc.cluster.local"])
        #expect(Self.ask("_dns._tcp.web.default.svc.cluster.local", .srv)?.code == .nameError)
        #expect(
            Self.rdata(Self.ask("_pg._tcp.pg.db.svc.cluster.local", .srv)) == [
                "SRV 0 50 5432 pg-0.pg.db.svc.cluster.local", "SRV 0 50 5432 10-42-1-6.pg.db.svc.cluster.local",
            ])
        // `_tcp.web…` exists (it has children) but holds no records.
        #expect(Self.ask("_tcp.web.default.svc.cluster.local", .srv)?.code == .noError)
    }

    @Test("PTR answers for ClusterIPs and ready endpoints; other reverse names are left to the upstreams")
    func pointers() {
        #expect(Self.rdata(Self.ask("7.0.43.10.in-addr.arpa", .ptr)) == ["PTR web.default.svc.cluster.local"])
        #expect(Self.rdata(Self.ask("5.0.42.10.in-addr.arpa", .ptr)) == ["PTR pg-0.pg.db.svc.cluster.local"])
        #expect(Self.rdata(Self.ask("6.1.42.10.in-addr.arpa", .ptr)) == ["PTR 10-42-1-6.pg.db.svc.cluster.local"])
        let v6 = IPAddress("fd00:43::7")!.reverseName.description
        #expect(Self.rdata(Self.ask(v6, .ptr)) == ["PTR web.default.svc.cluster.local"])
        #expect(Self.ask("7.2.42.10.in-addr.arpa", .ptr) == nil)
        #expect(Self.ask("8.8.8.8.in-addr.arpa", .ptr) == nil)
    }

    @Test("an ExternalName answers a CNAME; one inside the cluster is followed to its addresses")
    func externalName() throws {
        let external = try #require(Self.ask("ext.default.svc.cluster.local", .a))
        #expect(Self.rdata(external) == ["CNAME example.com"])
        #expect(external.externalTarget?.description == "example.com")
        #expect(Self.rdata(Self.ask("alias.default.svc.cluster.local", .a)) == ["CNAME web.default.svc.cluster.local", "A 10.43.0.7"])
        #expect(Self.ask("ext.default.svc.cluster.local", .cname)?.externalTarget == nil)
    }

    @Test(
        "names that exist without the asked type answer NODATA with the SOA; names that do not exist answer NXDOMAIN",
        arguments: [
            ("web.default.svc.cluster.local", DNSRecordType.txt, DNSResponseCode.noError),
            ("pg-0.pg.db.svc.cluster.local", .aaaa, .noError),
            ("default.svc.cluster.local", .a, .noError),
            ("svc.cluster.local", .a, .noError),
            ("empty.default.svc.cluster.local", .a, .noError),
            ("missing.default.svc.cluster.local", .a, .nameError),
            ("web.nons.svc.cluster.local", .a, .nameError),
            ("nothing.cluster.local", .a, .nameError),
            ("a.b.web.default.svc.cluster.local", .a, .nameError),
        ])
    func negativeAnswers(name: String, type: DNSRecordType, code: DNSResponseCode) throws {
        let answer = try #require(Self.ask(name, type))
        #expect(answer.code == code)
        #expect(answer.answers.isEmpty)
        #expect(answer.authority.map(\.type) == [.soa])
    }

    @Test("the zone apex has an SOA and NS, dns-version says 1.1.0, and pod names answer their dashed address")
    func apexAndPods() throws {
        let soa = try #require(Self.ask("cluster.local", .soa)?.answers.first)
        guard case .soa(let data) = soa.data else {
            Issue.record("not an SOA")
            return
        }
        #expect(data.serial == 3 && data.minimum == 5 && data.primary.description == "ns.dns.cluster.local")
        #expect(Self.rdata(Self.ask("cluster.local", .ns)) == ["NS ns.dns.cluster.local"])
        #expect(Self.rdata(Self.ask("ns.dns.cluster.local", .a)) == ["A 10.43.0.10"])
        #expect(Self.rdata(Self.ask("dns-version.cluster.local", .txt)) == ["TXT 1.1.0"])
        #expect(Self.rdata(Self.ask("10-42-3-9.anyns.pod.cluster.local", .a)) == ["A 10.42.3.9"])
        #expect(Self.ask("not-an-ip.anyns.pod.cluster.local", .a)?.code == .nameError)
        #expect(Self.ask("example.com", .a) == nil)
    }

    @Test("a non-default zone serves under its own name only")
    func otherZone() throws {
        let records = ClusterDNSRecords(zone: "k8s.test", services: [DNSService(namespace: "a", name: "b", clusterIPs: ["10.0.0.1"])])
        #expect(records.answer(DNSQuestion(name: try DNSName("b.a.svc.k8s.test"), type: .a))?.answers.count == 1)
        #expect(records.answer(DNSQuestion(name: try DNSName("b.a.svc.cluster.local"), type: .a)) == nil)
    }
}
