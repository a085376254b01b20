import ArgumentParser
import Foundation
import Logging
import SkiffAPI
import SkiffAPIServer
import SkiffControlPlane
import SkiffScheduler
import SkiffStore

/// The scheduling algorithm alone (filters + scoring + assume) on a synthetic cluster.
struct SchedulerBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "scheduler", abstract: "Place pods onto simulated nodes.")

    @Option(help: "Simulated nodes.") var nodes = 1000
    @Option(help: "Pods to place.") var pods = 10000
    @Flag(help: "Run the real scheduler loop against the API on SQLite, binding through pods/binding.") var endToEnd = false

    func run() async throws {
        if endToEnd { return try await runEndToEnd() }
        var scheduler = Scheduler()
        for index in 0..<nodes {
            scheduler.upsertNode(
                NodeInfo([
                    "metadata": [
                        "name": .string("node-\(index)"), "labels": ["kubernetes.io/hostname": .string("node-\(index)"), "zone": .string("z\(index % 3)")],
                    ],
                    "status": ["conditions": [["type": "Ready", "status": "True"]], "allocatable": ["cpu": "16", "memory": "64Gi", "pods": "110"]],
                ]))
        }
        let infos = (0..<pods).map { index in
            PodInfo([
                "metadata": [
                    "name": .string("pod-\(index)"), "namespace": "default", "uid": .string("u\(index)"),
                    "ownerReferences": [["uid": .string("rs-\(index % 50)"), "controller": true]],
                ],
                "spec": [
                    "containers": [["name": "c", "image": "busybox", "resources": ["requests": ["cpu": "100m", "memory": "128Mi"]]]],
                    "nodeSelector": index % 10 == 0 ? ["zone": "z1"] : .emptyObject,
                ],
            ])
        }
        let clock = ContinuousClock()
        let start = clock.now
        var placed = 0
        for pod in infos {
            if case .bind = scheduler.schedule(pod) { placed += 1 }
        }
        let elapsed = clock.now - start
        let seconds = elapsed.seconds
        print("scheduler: \(placed)/\(pods) pods onto \(nodes) nodes in \(String(format: "%.2f", seconds)) s = \(Int(Double(placed) / seconds)) pods/s")
    }

    /// Nodes and pending pods are stored first; then the clock runs from starting the
    /// SchedulerService until every pod's binding is in the store.
    func runEndToEnd() async throws {
        let directory = NSTemporaryDirectory() + "skiff-bench-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStore(path: directory + "/state.db")
        let api = KubeAPI(store: store, authenticator: Authenticator(adminToken: SkiffBenchCommand.token, joinToken: "join"))
        try await api.bootstrap()
        let headers = ["authorization": "Bearer \(SkiffBenchCommand.token)", "content-type": "application/json"]
        for index in 0..<nodes {
            let node: JSON = [
                "metadata": ["name": .string("node-\(index)")],
                "status": ["conditions": [["type": "Ready", "status": "True"]], "allocatable": ["cpu": "16", "memory": "64Gi", "pods": "110"]],
            ]
            _ = await api.handle(APIRequest(method: "POST", path: "/api/v1/nodes", headers: headers, body: node.bytes))
        }
        for index in 0..<pods {
            let pod: JSON = [
                "metadata": ["name": .string("pod-\(index)")],
                "spec": ["containers": [["name": "c", "image": "busybox", "resources": ["requests": ["cpu": "100m", "memory": "128Mi"]]]]],
            ]
            _ = await api.handle(APIRequest(method: "POST", path: "/api/v1/namespaces/default/pods", headers: headers, body: pod.bytes))
        }
        let bindings = try store.watch(prefix: "/registry/core/pods/", afterRevision: try store.currentRevision())
        var logger = Logger(label: "skiff.bench")
        logger.logLevel = .error
        let scheduler = SchedulerService(client: InProcessSchedulerClient(api: api, token: SkiffBenchCommand.token), logger: logger)
        let clock = ContinuousClock()
        let start = clock.now
        var bound = 0
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await scheduler.run() }
            for await event in bindings where event.kind == .updated {
                bound += 1
                if bound == pods { break }
            }
            group.cancelAll()
        }
        let elapsed = clock.now - start
        let seconds = elapsed.seconds
        print(
            "scheduler end-to-end: \(bound)/\(pods) pods bound onto \(nodes) nodes in \(String(format: "%.2f", seconds)) s = \(Int(Double(bound) / seconds)) pods/s (SQLite, binding + Scheduled event per pod)"
        )
    }
}
