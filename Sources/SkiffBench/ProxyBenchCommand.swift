import ArgumentParser
import Foundation
import SkiffServiceProxy
import SkiffSystem

/// `skiff-bench proxy`: the service proxy at kube-proxy's tested scale. Programs N Services × M
/// endpoints into a table in a scratch network namespace (full sync, then single-Service
/// changes), then times TCP connects from a pod namespace through a VIP and straight to an
/// endpoint, interleaved. Needs root, nft, socat and iproute2.
struct ProxyBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "proxy", abstract: "Program Services into nftables; time first packets through a VIP.")

    @Option(help: "Services to program.") var services = 10_000
    @Option(help: "Endpoints per Service.") var endpoints = 10
    @Option(help: "Single-Service incremental changes to time.") var changes = 20
    @Option(help: "TCP connects per target (VIP and direct) for the first-packet latency.") var connects = 500

    func validate() throws {
        guard services >= 1, endpoints >= 1, endpoints <= 250, changes >= 1, connects >= 1 else {
            throw ValidationError("services, changes and connects must be positive; endpoints 1…250")
        }
    }

    func run() throws {
        let network = try ProxyBenchNetwork(endpointCount: endpoints)
        defer { network.tearDown() }
        let proxy = ServiceProxy(
            node: ProxyNode(tableName: "skiff-bench", clusterCIDR: "10.42.0.0/16"),
            commands: SystemProxyCommands(networkNamespace: network.nodeNamespace))
        var all = (0..<services).map { service(index: $0, generation: 0) }
        let clock = ContinuousClock()

        var start = clock.now
        let report = try proxy.sync(services: all)
        let full = (clock.now - start).seconds
        guard report.fullSync, report.skipped.isEmpty else { throw RuntimeError("the first sync was not a clean full one: \(report)") }
        print(
            "proxy: \(services) Services × \(endpoints) endpoints, full program \(ms(full)) ms (script \(report.scriptBytes / 1024) KiB;"
                + " build \(ms(report.buildDuration.seconds)) ms, nft \(ms(report.applyDuration.seconds)) ms)")

        var incremental: [Double] = []
        var parts: [[Double]] = []
        for change in 1...changes {
            // A rolling update's step: one endpoint of one Service replaced.
            let index = 1 + (change * 7919) % max(services - 1, 1)
            all[index] = service(index: index, generation: change)
            start = clock.now
            let step = try proxy.sync(services: all)
            incremental.append((clock.now - start).seconds)
            parts.append([step.buildDuration.seconds, step.diffDuration.seconds, step.applyDuration.seconds])
            guard !step.fullSync else { throw RuntimeError("change \(change) rewrote the whole table: \(step)") }
        }
        print(
            "proxy: one Service's endpoint replaced (incremental, \(changes) times): p50 \(ms(try BenchStatistics.median(of: incremental))) ms,"
                + " p99 \(ms(try BenchStatistics.percentile(99, of: incremental))) ms, goal ≤ 10 ms"
        )
        print(
            "proxy: incremental medians: build \(ms(try BenchStatistics.median(of: parts.map { $0[0] }))) ms,"
                + " diff \(ms(try BenchStatistics.median(of: parts.map { $0[1] }))) ms, nft \(ms(try BenchStatistics.median(of: parts.map { $0[2] }))) ms"
        )
        print("proxy: full program goal ≤ 1000 ms: \(BenchStatistics.meets(full, atMost: 1) ? "met" : "missed")")

        let (viaVIP, direct) = try network.probe(vip: "10.43.0.1", vipPort: 80, endpointPort: 8080, connects: connects)
        for (label, samples) in [("via VIP", viaVIP), ("direct", direct)] {
            print(
                "proxy: TCP connect \(label): p50 \(us(try BenchStatistics.median(of: samples))) µs, p99 \(us(try BenchStatistics.percentile(99, of: samples))) µs (\(samples.count) connects)"
            )
        }
    }

    /// Service `index` (ClusterIP 10.43.x.y), its endpoints on 10.42.x.y; `generation` moves one
    /// endpoint. Service 0's endpoints are the bench backend's real addresses.
    private func service(index: Int, generation: Int) -> ProxyService {
        let vip = "10.43.\(1 + index / 250).\(index % 250 + 1)"
        let addresses: [String]
        if index == 0 {
            addresses = ProxyBenchNetwork.backendAddresses(count: endpoints)
        } else {
            addresses = (0..<endpoints).map { endpoint in
                let serial = index * endpoints + endpoint + (endpoint == 0 ? generation * 1_000_003 : 0)
                return "10.\(64 + serial / 65_536 % 128).\(serial / 256 % 256).\(serial % 256)"
            }
        }
        return ProxyService(
            namespace: "bench", name: "svc-\(index)", clusterIPs: index == 0 ? ["10.43.0.1"] : [vip],
            ports: [ProxyServicePort(name: "http", port: 80, endpoints: addresses.map { ProxyEndpoint(address: $0, port: 8080) })])
    }

    private func ms(_ seconds: Double) -> String { BenchStatistics.twoDecimals(seconds * 1000) }
    private func us(_ seconds: Double) -> String { BenchStatistics.twoDecimals(seconds * 1e6) }
}
