import ArgumentParser
import Foundation
import SkiffAPI
import Synchronization

/// The client side of `skiff-bench watch-fanout`, in its own process: opens the watches, creates
/// the pods, and prints the delivery latencies (from sending each create to each watcher
/// receiving its ADDED event).
struct WatchFanoutClientsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch-fanout-clients", abstract: "The client side of `skiff-bench watch-fanout` (started by it).", shouldDisplay: false)

    @Option(help: "The benchmark server's admin kubeconfig.") var kubeconfig: String
    @Option(help: "Concurrent pod watchers.") var watchers = 1000
    @Option(help: "Pods created.") var pods = 50
    @Option(help: "Milliseconds between creates.") var intervalMs = 100

    static let deadlineSeconds = 300

    /// When each pod's create was sent, and when each watcher got its event.
    final class Timeline: Sendable {
        let sent = Mutex<[String: ContinuousClock.Instant]>([:])
        let latencies = Mutex<[Duration]>([])
        let opened = Atomic<Int>(0)
    }

    func run() async throws {
        let endpoint = try await APIBenchCommand.waitForKubeconfig(kubeconfig)
        let clock = ContinuousClock()
        let timeline = Timeline()
        let creator = try await BenchHTTPSClient.connect(host: "127.0.0.1", port: endpoint.port, caPEM: endpoint.ca)
        let path = "/api/v1/namespaces/default/pods"
        let expected = pods
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<watchers {
                group.addTask {
                    let connection = try await BenchWatchConnection.connect(host: "127.0.0.1", port: endpoint.port, caPEM: endpoint.ca)
                    var seen = 0
                    // No resourceVersion: from now, with ADDED for the pods that exist (none yet).
                    try await connection.watch(path: path) {
                        timeline.opened.add(1, ordering: .relaxed)
                    } received: { name in
                        let now = clock.now
                        if let sent = timeline.sent.withLock({ $0[name] }) {
                            timeline.latencies.withLock { $0.append(now - sent) }
                        }
                        seen += 1
                        return seen < expected
                    }
                }
            }
            group.addTask {
                while timeline.opened.load(ordering: .relaxed) < watchers { try await Task.sleep(for: .milliseconds(20)) }
                try await creator.session { send in
                    for index in 0..<expected {
                        let name = "fanout-\(index)"
                        let pod: JSON = ["metadata": ["name": .string(name)], "spec": ["containers": [["name": "c", "image": "busybox"]]]]
                        timeline.sent.withLock { $0[name] = clock.now }
                        guard try await send("POST", path, pod.bytes) == 201 else { throw ValidationError("creating \(name) failed") }
                        try await Task.sleep(for: .milliseconds(intervalMs))
                    }
                }
            }
            group.addTask {
                // A server that cannot deliver fails the run rather than hanging it.
                try await Task.sleep(for: .seconds(Self.deadlineSeconds))
                let delivered = timeline.latencies.withLock { $0.count }
                throw ValidationError("after \(Self.deadlineSeconds) s, \(delivered) of \(watchers * expected) deliveries")
            }
            // Every watcher and the creator finish; the deadline task is what is left.
            for _ in 0...watchers { try await group.next() }
            group.cancelAll()
        }
        let milliseconds = timeline.latencies.withLock { $0 }.map { $0.seconds * 1000 }
        guard milliseconds.count == watchers * pods else {
            throw ValidationError("\(milliseconds.count) deliveries, expected \(watchers * pods)")
        }
        print(
            String(
                format: "%d watchers × %d pods: delivery p50 %.1f ms, p99 %.1f ms, max %.1f ms", watchers, pods,
                try BenchStatistics.percentile(50, of: milliseconds), try BenchStatistics.percentile(99, of: milliseconds), milliseconds.max() ?? 0))
    }

}
