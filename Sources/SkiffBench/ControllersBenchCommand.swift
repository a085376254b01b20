import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffAPIServer
import SkiffControlPlane
import SkiffStore
import SkiffSystem

/// kubemark's density run on Skiff's own control plane: the server's API, scheduler and
/// controllers (the same ControlPlane `skiff server` runs, on SQLite, in this process), N hollow
/// nodes, and a Deployment of R replicas timed from create to all Available, then through a
/// rolling update (a new image) to all updated and Available.
struct ControllersBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "controllers", abstract: "A Deployment on hollow nodes: create → Available, rolling update → Available.")

    @Option(help: "Hollow nodes.") var nodes = 1000
    @Option(help: "Deployment replicas.") var replicas = 10000
    @Option(help: "Seconds each phase may take before the bench gives up.") var timeout = 900.0

    func run() async throws {
        let result = try await ControllersBench(nodes: nodes, replicas: replicas, timeout: .seconds(timeout)).run()
        for phase in [result.create, result.rollingUpdate] {
            print(
                "controllers \(phase.name): \(replicas) pods Available on \(nodes) hollow nodes in \(BenchStatistics.twoDecimals(phase.seconds)) s = \(Int(Double(replicas) / phase.seconds)) pods/s, CPU \(BenchStatistics.twoDecimals(phase.cpuSeconds)) s"
            )
        }
        print(
            "controllers server: peak RSS \(result.peakRSSKiB / 1024) MiB, CPU \(BenchStatistics.twoDecimals(result.cpuSeconds)) s in all (one process: API, scheduler, controllers and the hollow kubelet)"
        )
    }
}

/// One run of the controllers bench; the unit tests run it small.
struct ControllersBench {
    struct Phase {
        var name: String
        var seconds: Double
        var cpuSeconds: Double
    }

    struct Result {
        var create: Phase
        var rollingUpdate: Phase
        /// VmHWM of this process (server and hollow nodes), KiB.
        var peakRSSKiB: Int
        /// Progress on stderr, so a slow run shows where it is.
        static func progress(_ line: String) {
            FileHandle.standardError.write(Data(("controllers: " + line + "\n").utf8))
        }

        /// User + system CPU of this process from start to end, seconds.
        var cpuSeconds: Double
        /// The pods at the end, for checks.
        var pods: [JSON]
    }

    let nodes: Int
    let replicas: Int
    let timeout: Duration
    static let namespace = "default"
    static let name = "bench"

    func run() async throws -> Result {
        let directory = NSTemporaryDirectory() + "skiff-bench-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try ClusterPKI.writeToken(SkiffBenchCommand.token, directory: directory)
        let store = try SQLiteStore(path: directory + "/state.db")
        var logger = Logger(label: "skiff.bench")
        logger.logLevel = .error
        let controlPlane = try await ControlPlane.make(
            // A /24 for each of up to 32,768 nodes: the default 10.42.0.0/16 holds 256, and the other
            // hollow nodes would register without one, tainted network-unavailable, taking no pods.
            configuration: APIServerConfiguration(dataDirectory: directory, bindAddress: "127.0.0.1", port: 0, clusterCIDR: "10.128.0.0/9"),
            store: store, logger: logger)
        let api = controlPlane.api
        let nodeNames = (0..<nodes).map { "hollow-node-\($0)" }
        let kubelet = HollowKubelet(api: api, token: SkiffBenchCommand.token, nodeNames: Set(nodeNames))
        let group = ServiceGroup(configuration: .init(services: controlPlane.services + [kubelet], logger: logger))
        let cpuAtStart = Self.cpuSeconds()
        return try await withThrowingTaskGroup(of: Result?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            let result: Result
            do {
                _ = try await APIBenchCommand.waitForKubeconfig(directory + "/admin.kubeconfig")
                Self.progress("server up; registering \(nodes) hollow nodes")
                try await HollowKubelet.register(nodeNames: nodeNames, api: api, token: SkiffBenchCommand.token)
                Self.progress("hollow nodes registered; creating the Deployment")
                let create = try await measure("create", api: api) {
                    _ = try await Self.request(
                        api, "POST", "/apis/apps/v1/namespaces/\(Self.namespace)/deployments",
                        Self.deployment(replicas: replicas, image: "registry.k8s.io/pause:3.9"))
                }
                let update = try await measure("rolling update", api: api) {
                    let patch: JSON = ["spec": ["template": ["spec": ["containers": [["name": "pause", "image": "registry.k8s.io/pause:3.10"]]]]]]
                    _ = try await Self.request(
                        api, "PATCH", "/apis/apps/v1/namespaces/\(Self.namespace)/deployments/\(Self.name)", patch, contentType: "application/merge-patch+json")
                }
                let pods = try await Self.request(api, "GET", "/api/v1/namespaces/\(Self.namespace)/pods", nil)["items"].array ?? []
                result = Result(
                    create: create, rollingUpdate: update, peakRSSKiB: Self.peakRSSKiB(), cpuSeconds: Self.cpuSeconds() - cpuAtStart, pods: pods)
            } catch {
                Self.progress("failed: \(error)")
                tasks.cancelAll()
                throw error
            }
            await group.triggerGracefulShutdown()
            while let next = try await tasks.next() { _ = next }
            return result
        }
    }

    /// Runs `start`, then waits for the Deployment to have observed its newest generation with
    /// every replica updated and available and no old ones left, with the Available condition.
    func measure(_ name: String, api: KubeAPI, start: () async throws -> Void) async throws -> Phase {
        let clock = ContinuousClock()
        let began = clock.now
        let cpu = Self.cpuSeconds()
        try await start()
        var lastReport = clock.now
        while true {
            let deployment = try await Self.request(api, "GET", "/apis/apps/v1/namespaces/\(Self.namespace)/deployments/\(Self.name)", nil)
            if Self.complete(deployment, replicas: replicas) { break }
            guard clock.now - began < timeout else {
                throw ValidationError(
                    "\(name): the Deployment was not complete after \(timeout): \(deployment["status"]["availableReplicas"].int ?? 0) of \(replicas) available")
            }
            if clock.now - lastReport > .seconds(5) {
                lastReport = clock.now
                let status = deployment["status"]
                Self.progress(
                    "\(name): \(Int((clock.now - began).seconds)) s, replicas \(status["replicas"].int ?? 0), updated \(status["updatedReplicas"].int ?? 0), available \(status["availableReplicas"].int ?? 0)"
                )
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return Phase(name: name, seconds: (clock.now - began).seconds, cpuSeconds: Self.cpuSeconds() - cpu)
    }

    /// Complete as `kubectl rollout status` judges it, and Available.
    static func complete(_ deployment: JSON, replicas: Int) -> Bool {
        let status = deployment["status"]
        let available = status["conditions"].array?.contains { $0["type"].string == "Available" && $0["status"].string == "True" } ?? false
        return (status["observedGeneration"].int ?? 0) >= (deployment["metadata"]["generation"].int ?? 1)
            && status["updatedReplicas"].int == Int64(replicas) && status["replicas"].int == Int64(replicas)
            && status["availableReplicas"].int == Int64(replicas) && available
    }

    static func deployment(replicas: Int, image: String) -> JSON {
        [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": .string(name), "labels": ["app": .string(name)]],
            "spec": [
                "replicas": .int(Int64(replicas)), "selector": ["matchLabels": ["app": .string(name)]],
                "template": [
                    "metadata": ["labels": ["app": .string(name)]],
                    "spec": ["containers": [["name": "pause", "image": .string(image)]]],
                ],
            ],
        ]
    }

    /// An admin request to the API handlers; anything but a 2xx is an error.
    @discardableResult
    static func request(_ api: KubeAPI, _ method: String, _ path: String, _ body: JSON?, contentType: String = "application/json") async throws -> JSON {
        let response = await api.handle(
            APIRequest(method: method, path: path, headers: HollowKubelet.headers(SkiffBenchCommand.token, contentType: contentType), body: body?.bytes ?? []))
        guard case .bytes(let bytes) = response.body, (200..<300).contains(response.status) else {
            throw HollowKubeletError.rejected("\(method) \(path)", response.status)
        }
        return try JSON(parsing: String(decoding: bytes, as: UTF8.self))
    }

    /// Progress on stderr, so a slow run shows where it is.
    static func progress(_ line: String) {
        FileHandle.standardError.write(Data(("controllers: " + line + "\n").utf8))
    }

    /// User + system CPU of this process so far.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// VmHWM: the most resident memory this process has had.
    static func peakRSSKiB() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
}
