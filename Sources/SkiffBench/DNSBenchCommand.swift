import ArgumentParser
import Foundation
import NIOCore
import SkiffDNS

/// The cluster DNS server in this process, measured with dnsperf over loopback: cluster names
/// answered from N synthetic Services, then names forwarded once to an in-process upstream and
/// served from the cache. CPU is this process's (server and upstream), from getrusage.
struct DNSBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dns", abstract: "Measure the cluster DNS server with dnsperf.")

    @Option(help: "Synthetic ClusterIP Services (a tenth of them headless with 3 endpoints).") var services = 1000
    @Option(help: "Seconds per phase.") var seconds = 10
    @Option(help: "Queries dnsperf keeps outstanding.") var outstanding = 200
    @Option(help: "dnsperf's transport: udp or tcp.") var mode = "udp"
    @Option(help: "The dnsperf binary.") var dnsperf = "/usr/bin/dnsperf"

    func validate() throws {
        guard mode == "udp" || mode == "tcp" else { throw ValidationError("--mode is udp or tcp") }
    }

    func run() async throws {
        let records = ClusterDNSRecords(services: Self.services(services))
        let upstreamRecords = ClusterDNSRecords(
            zone: "example.test", services: (0..<100).map { DNSService(namespace: "corp", name: "host\($0)", clusterIPs: ["192.0.2.\($0 + 1)"]) })
        let upstream = DNSServer(configuration: DNSServer.Configuration(port: 0), records: upstreamRecords, forwarder: nil)
        try await upstream.whileRunning { upstreamPort in
            let forwarder = DNSForwarder(upstreams: [try SocketAddress(ipAddress: "127.0.0.1", port: upstreamPort)])
            let server = DNSServer(configuration: DNSServer.Configuration(port: 0), records: records, forwarder: forwarder)
            try await server.whileRunning { port in
                let cluster = (0..<services).flatMap { index -> [String] in
                    let name = "svc-\(index).ns-\(index % 20).svc.cluster.local"
                    return index % 10 == 0 ? ["\(name) A", "_http._tcp.\(name) SRV"] : ["\(name) A"]
                }
                try await measure("cluster names", cluster, port: port)
                let forwarded = (0..<100).map { "host\($0).corp.svc.example.test A" }
                try await measure("cached forwarded names", forwarded, port: port)
            }
        }
    }

    static func services(_ count: Int) -> [DNSService] {
        (0..<count).map { index in
            let ports = [DNSPort(name: "http", port: 80)]
            if index % 10 == 0 {
                let endpoints = (0..<3).map { DNSEndpoint(address: "10.\(44 + $0).\(index / 250 % 250).\(index % 250)", hostname: "pod-\($0)") }
                return DNSService(namespace: "ns-\(index % 20)", name: "svc-\(index)", ports: ports, endpoints: endpoints)
            }
            return DNSService(
                namespace: "ns-\(index % 20)", name: "svc-\(index)", clusterIPs: ["10.43.\(index / 250 % 250).\(index % 250 + 1)"], ports: ports)
        }
    }

    private func measure(_ label: String, _ queries: [String], port: Int) async throws {
        let file = NSTemporaryDirectory() + "skiff-bench-dns-\(UUID().uuidString).txt"
        try queries.joined(separator: "\n").appending("\n").write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let before = Self.cpuSeconds()
        let clock = ContinuousClock()
        let start = clock.now
        let output = try await runDNSPerf(["-m", mode, "-s", "127.0.0.1", "-p", String(port), "-d", file, "-l", String(seconds), "-q", String(outstanding)])
        let wall = (clock.now - start).seconds
        let cpu = Self.cpuSeconds() - before
        let qps = Self.value(after: "Queries per second:", in: output) ?? 0
        let lost = Self.value(after: "Queries lost:", in: output) ?? 0
        let cores = cpu / wall
        print(
            "dns \(label) over \(mode): \(Int(qps)) QPS, server CPU \(String(format: "%.2f", cores)) cores = \(Int(qps / max(cores, 0.01))) QPS per core, "
                + "\(Int(lost)) lost (\(queries.count) names, \(outstanding) outstanding)")
    }

    private func runDNSPerf(_ arguments: [String]) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: dnsperf)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        // Waiting in a termination handler keeps the task pool's threads free for the server.
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        return String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    /// User + system CPU seconds of this process so far.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1_000_000 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// The number after `label` in dnsperf's summary ("Queries per second:   51234.5").
    static func value(after label: String, in output: String) -> Double? {
        guard let range = output.range(of: label) else { return nil }
        let number = output[range.upperBound...].drop { $0 == " " || $0 == "\t" }.prefix { $0.isNumber || $0 == "." }
        return Double(number)
    }
}
