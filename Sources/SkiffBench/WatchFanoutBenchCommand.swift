import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffAPIServer
import SkiffStore
import SkiffSystem

/// Watch fan-out: `watchers` HTTPS watches of pods held open on one API server (on SQLite, in this
/// process), then pods created one by one; each event's delivery latency to every watcher, the
/// server's memory, and the store watches it opened. The watchers and the creates run in a child
/// process (`skiff-bench watch-fanout-clients`), so this process's memory is the server's.
/// `scripts/bench watch-fanout` runs it with the watch cache on and off and prints the ratios.
struct WatchFanoutBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch-fanout", abstract: "Delivery latency of pod events to many concurrent watchers, and the server's RSS.")

    @Option(help: "Concurrent pod watchers.") var watchers = 1000
    @Option(help: "Pods created, one at a time, each an event every watcher receives.") var pods = 50
    @Option(help: "Milliseconds between creates.") var intervalMs = 100
    @Option(help: "Serve watches from the watch cache (on) or a store watch each (off).") var watchCache: WatchCacheMode = .on
    @Option(help: "Store the cluster in this etcd (its client URL) instead of SQLite.") var etcdEndpoint: String?

    enum WatchCacheMode: String, ExpressibleByArgument, Sendable { case on, off }

    func run() async throws {
        let directory = NSTemporaryDirectory() + "skiff-bench-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try ClusterPKI.writeToken(SkiffBenchCommand.token, directory: directory)
        let sqlite: SQLiteStore?
        let backend: any Store
        if let etcdEndpoint {
            backend = try EtcdStore(endpoint: etcdEndpoint)
            sqlite = nil
        } else {
            let file = try SQLiteStore(path: directory + "/state.db")
            backend = file
            sqlite = file
        }
        let store = WatchCountingStore(backend)
        var logger = Logger(label: "skiff.bench")
        logger.logLevel = .error
        var configuration = APIServerConfiguration(dataDirectory: directory, bindAddress: "127.0.0.1", port: 0)
        configuration.watchCache = watchCache == .on
        configuration.maxRequestsInFlight = 0
        let server = try await APIServer.make(configuration: configuration, store: store, logger: logger)
        let group = ServiceGroup(configuration: .init(services: server.services, logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                let kubeconfig = directory + "/admin.kubeconfig"
                _ = try await APIBenchCommand.waitForKubeconfig(kubeconfig)
                let idle = Self.residentKiB()
                let arguments = [
                    "watch-fanout-clients", "--kubeconfig", kubeconfig, "--watchers", String(watchers), "--pods", String(pods),
                    "--interval-ms", String(intervalMs),
                ]
                let output = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<CommandOutput, any Error>) in
                    DispatchQueue.global().async {
                        continuation.resume(with: Result { try Command.run("/proc/self/exe", arguments) })
                    }
                }
                guard output.status == .exited(0) else {
                    throw ValidationError("the watch clients failed (\(output.status)): \(output.stderr)")
                }
                let peak = ControllersBench.peakRSSKiB()
                print(
                    "watch cache \(watchCache.rawValue) (\(etcdEndpoint == nil ? "SQLite" : "etcd")): "
                        + output.stdout.trimmingCharacters(in: .whitespacesAndNewlines), terminator: "")
                print(
                    String(
                        format: ", server RSS idle %.1f MiB, peak %.1f MiB, store pod watches %d", Double(idle) / 1024, Double(peak) / 1024,
                        store.podWatchesOpened))
            } catch {
                tasks.cancelAll()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.next()
        }
        sqlite?.closeWatches()
    }

    /// VmRSS: this process's resident memory now.
    static func residentKiB() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
}
