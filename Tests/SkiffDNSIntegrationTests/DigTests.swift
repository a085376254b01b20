import Foundation
import NIOCore
import SkiffDNS
import Testing

/// Debian's dig against the server on loopback: what a pod's resolver library would see. The
/// "upstream" is a second DNSServer serving the zone `example.test`, so nothing leaves the host.
@Suite("DNS server answers dig (root, dig)", .serialized)
struct DigTests {
    static let records = ClusterDNSRecords(services: [
        DNSService(namespace: "default", name: "web", clusterIPs: ["10.43.0.7"], ports: [DNSPort(name: "http", port: 80)]),
        DNSService(
            namespace: "db", name: "pg", ports: [DNSPort(name: "pg", port: 5432)],
            endpoints: [DNSEndpoint(address: "10.42.0.5", hostname: "pg-0"), DNSEndpoint(address: "10.42.1.6", hostname: "pg-1")]),
        DNSService(namespace: "default", name: "ext", externalName: "www.corp.svc.example.test"),
    ])
    static let upstreamRecords = ClusterDNSRecords(
        zone: "example.test", services: [DNSService(namespace: "corp", name: "www", clusterIPs: ["192.0.2.80"])])

    /// Runs dig with `arguments` against 127.0.0.1:port; its standard output. The wait is a
    /// termination handler, not waitUntilExit: a blocked thread of the two-thread task pool
    /// would starve the server under test.
    static func dig(_ port: Int, _ arguments: [String]) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/dig")
        process.arguments = ["@127.0.0.1", "-p", String(port), "+time=5", "+tries=2"] + arguments
        let output = Pipe()
        process.standardOutput = output
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        // dig's few hundred bytes sit in the pipe's buffer until read here.
        let data = output.fileHandleForReading.readDataToEndOfFile()
        return String(decoding: data, as: UTF8.self)
    }

    /// The answers `dig +short` prints, without its ";;" diagnostics: a CI run under load got
    /// ";; communications error … timed out" beside the right answers when dig's first try
    /// timed out and its second was answered.
    static func short(_ port: Int, _ arguments: [String]) async throws -> [String] {
        try await dig(port, ["+short"] + arguments).split(separator: "\n").map(String.init).filter { !$0.hasPrefix(";;") }.sorted()
    }

    /// A name answered through the upstream. In a loaded CI run both of dig's tries once timed
    /// out (an empty answer) while the forwarded query was slow; what is tested is the answer,
    /// so an empty one is asked for again, up to three times in all.
    static func forwarded(_ port: Int, _ arguments: [String]) async throws -> [String] {
        for _ in 1..<3 {
            let answer = try await short(port, arguments)
            if !answer.isEmpty { return answer }
        }
        return try await short(port, arguments)
    }

    static func status(_ port: Int, _ arguments: [String]) async throws -> String? {
        let output = try await dig(port, arguments)
        guard let range = output.range(of: "status: ") else { return nil }
        return String(output[range.upperBound...].prefix { $0 != "," })
    }

    @Test("A, SRV, PTR, headless, ExternalName, NXDOMAIN and a forwarded name, over UDP and TCP")
    func answers() async throws {
        let upstream = DNSServer(configuration: DNSServer.Configuration(port: 0), records: Self.upstreamRecords, forwarder: nil)
        try await upstream.whileRunning { upstreamPort in
            let forwarder = DNSForwarder(upstreams: [try SocketAddress(ipAddress: "127.0.0.1", port: upstreamPort)], timing: .roomy)
            let server = DNSServer(configuration: DNSServer.Configuration(port: 0), records: Self.records, forwarder: forwarder)
            try await server.whileRunning { port in
                for transport in ["+notcp", "+tcp"] {
                    #expect(try await Self.short(port, [transport, "web.default.svc.cluster.local"]) == ["10.43.0.7"])
                    #expect(
                        try await Self.short(port, [transport, "SRV", "_http._tcp.web.default.svc.cluster.local"]) == [
                            "0 100 80 web.default.svc.cluster.local."
                        ])
                    #expect(try await Self.short(port, [transport, "-x", "10.43.0.7"]) == ["web.default.svc.cluster.local."])
                    #expect(try await Self.short(port, [transport, "-x", "10.42.1.6"]) == ["pg-1.pg.db.svc.cluster.local."])
                    #expect(try await Self.short(port, [transport, "pg.db.svc.cluster.local"]) == ["10.42.0.5", "10.42.1.6"])
                    #expect(try await Self.short(port, [transport, "pg-0.pg.db.svc.cluster.local"]) == ["10.42.0.5"])
                    #expect(
                        try await Self.short(port, [transport, "SRV", "_pg._tcp.pg.db.svc.cluster.local"]) == [
                            "0 50 5432 pg-0.pg.db.svc.cluster.local.", "0 50 5432 pg-1.pg.db.svc.cluster.local.",
                        ])
                    // The CNAME's target comes from the upstream: a CI run under load once got
                    // something else here, and the expression alone did not say what.
                    let external = try await Self.forwarded(port, [transport, "ext.default.svc.cluster.local"])
                    #expect(external == ["192.0.2.80", "www.corp.svc.example.test."], "\(transport): \(external)")
                    #expect(try await Self.status(port, [transport, "nope.default.svc.cluster.local"]) == "NXDOMAIN")
                    #expect(try await Self.status(port, [transport, "AAAA", "web.default.svc.cluster.local"]) == "NOERROR")
                    #expect(try await Self.forwarded(port, [transport, "www.corp.svc.example.test"]) == ["192.0.2.80"])
                }
                let authoritative = try await Self.dig(port, ["web.default.svc.cluster.local"])
                #expect(authoritative.contains("flags: qr aa rd ra"))
            }
        }
    }

    @Test("garbage and oversized datagrams leave the server answering dig")
    func survivesGarbage() async throws {
        let server = DNSServer(configuration: DNSServer.Configuration(port: 0), records: Self.records, forwarder: nil)
        try await server.whileRunning { port in
            let socket = try UDPSender()
            defer { socket.close() }
            var generator = SystemRandomNumberGenerator()
            for size in [0, 1, 11, 12, 13, 100, 512, 4096, 65_000] {
                socket.send((0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }, port: port)
            }
            #expect(try await Self.short(port, ["web.default.svc.cluster.local"]) == ["10.43.0.7"])
        }
    }
}

/// A plain UDP socket for sending garbage without waiting for answers.
struct UDPSender {
    let descriptor: Int32

    init() throws {
        descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EMFILE) }
    }

    func send(_ bytes: [UInt8], port: Int) {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = bytes.withUnsafeBytes { buffer in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor, buffer.baseAddress, buffer.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }

    func close() {
        _ = Glibc.close(descriptor)
    }
}

extension DNSForwarder.Timing {
    /// What is answered, not when: a loaded CI machine can spend the default 1.9 s budget
    /// before a loopback upstream is even scheduled.
    static let roomy = DNSForwarder.Timing(attemptTimeout: .seconds(5), budget: .seconds(10))
}
