import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffAPIServer
import SkiffControlPlane
import SkiffStore
import SkiffSystem

/// Pod create then get latency: `clients` keep-alive HTTPS connections against a server
/// started in this process on SQLite (or, with --handlers-only, the API handlers without HTTP).
/// The clients run in a child process (`skiff-bench api-clients`), as real clients do, so the
/// server's threads are its own and the two share the machine's cores only through the kernel.
struct APIBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "api", abstract: "Pod create/get latency with concurrent clients on SQLite.")

    @Option(help: "Concurrent clients.") var clients = 50
    @Option(help: "Requests per client for each of create and get.") var requests = 40
    @Flag(help: "Call the API handlers directly (no HTTP/TLS).") var handlersOnly = false
    @Flag(help: "Run the HTTPS clients in the server's process (sharing its event loops and task pool).") var inProcessClients = false
    @Option(help: "Also write every request as CSV (phase,start_ms,latency_ms) to this file, for a closer look at the tail.") var raw: String?
    @Flag(help: "Half the clients are a user with a client certificate whose requests RBAC authorizes (bound to edit), timed apart from the admin's half.")
    var rbac = false
    @Flag(help: "With --rbac, the RBAC half is a ServiceAccount with a pod-bound token (bound to edit) instead of a certificate user.")
    var serviceAccount = false

    func run() async throws {
        let directory = NSTemporaryDirectory() + "skiff-bench-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try ClusterPKI.writeToken(SkiffBenchCommand.token, directory: directory)
        let store = try SQLiteStore(path: directory + "/state.db")
        var logger = Logger(label: "skiff.bench")
        logger.logLevel = .error
        let controlPlane = try await ControlPlane.make(
            configuration: APIServerConfiguration(dataDirectory: directory, bindAddress: "127.0.0.1", port: 0), store: store, logger: logger)
        let group = ServiceGroup(configuration: .init(services: controlPlane.services, logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                let kubeconfig = directory + "/admin.kubeconfig"
                let endpoint = try await Self.waitForKubeconfig(kubeconfig)
                let user =
                    rbac
                    ? (serviceAccount
                        ? try await BenchIdentity.makeServiceAccount(api: controlPlane.api, directory: directory, endpoint: endpoint)
                        : try await BenchIdentity.makeUser(api: controlPlane.api, directory: directory, endpoint: endpoint)) : nil
                if handlersOnly || inProcessClients {
                    for phase in ["create", "get"] {
                        print(
                            try await Self.measure(
                                phase: phase, clients: clients, requests: requests, api: handlersOnly ? controlPlane.api : nil, endpoint: endpoint,
                                raw: raw, identities: [BenchIdentity.admin] + (user.map { [$0.identity] } ?? [])))
                    }
                } else {
                    print(
                        try await Self.runClientProcess(
                            kubeconfig: kubeconfig, userKubeconfig: user?.kubeconfig, clients: clients, requests: requests, raw: raw),
                        terminator: "")
                }
            } catch {
                tasks.cancelAll()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.next()
        }
    }

    static func waitForKubeconfig(_ path: String) async throws -> (port: Int, ca: String) {
        for _ in 0..<200 {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), let config = try? JSON(parsing: text),
                let server = config["clusters"][0]["cluster"]["server"].string, let port = server.split(separator: ":").last.flatMap({ Int($0) }),
                let ca = config["clusters"][0]["cluster"]["certificate-authority-data"].string.flatMap(Base64.decode)
            {
                return (port, String(decoding: ca, as: UTF8.self))
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ValidationError("the benchmark server did not start")
    }

    /// Runs `skiff-bench api-clients` to completion on a thread of its own (it blocks while the
    /// child runs) and returns what it printed.
    static func runClientProcess(kubeconfig: String, userKubeconfig: String? = nil, clients: Int, requests: Int, raw: String?) async throws -> String {
        let arguments =
            ["api-clients", "--kubeconfig", kubeconfig, "--clients", String(clients), "--requests", String(requests)]
            + (raw.map { ["--raw", $0] } ?? []) + (userKubeconfig.map { ["--user-kubeconfig", $0] } ?? [])
        let output = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<CommandOutput, any Error>) in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try Command.run("/proc/self/exe", arguments) })
            }
        }
        guard output.status == .exited(0) else {
            throw ValidationError("the benchmark clients failed (\(output.status)): \(output.stderr)")
        }
        return output.stdout
    }

    /// One phase's latencies, one line per identity; `api` given means calling its handlers
    /// directly instead of HTTPS. `servers` (host, port) spreads the clients round-robin over
    /// several API servers (all trusting `endpoint.ca`, answering `token`); by default every
    /// client talks to 127.0.0.1. With several identities the clients take turns (client i is
    /// identity i mod n), so they run at the same time, under the same load and store, and only
    /// who they are differs.
    static func measure(
        phase: String, clients: Int, requests: Int, api: KubeAPI?, endpoint: (port: Int, ca: String), servers: [(host: String, port: Int)] = [],
        token: String = SkiffBenchCommand.token, raw: String? = nil, identities: [BenchIdentity] = [.admin]
    ) async throws -> String {
        let servers = servers.isEmpty ? [("127.0.0.1", endpoint.port)] : servers
        let handlersOnly = api != nil
        let clock = ContinuousClock()
        let ready = BenchStartLine(parties: clients)
        let perClient = try await withThrowingTaskGroup(of: (identity: Int, samples: [(start: ContinuousClock.Instant, latency: Duration)]).self) { group in
            for client in 0..<clients {
                let identity = identities[client % identities.count]
                group.addTask {
                    var samples: [(start: ContinuousClock.Instant, latency: Duration)] = []
                    func request(_ index: Int) -> (String, String, [UInt8]) {
                        let name = "bench-\(identity.name)-\(client)-\(index)"
                        if phase == "create" {
                            let pod: JSON = ["metadata": ["name": .string(name)], "spec": ["containers": [["name": "c", "image": "busybox"]]]]
                            return ("POST", "/api/v1/namespaces/default/pods", pod.bytes)
                        }
                        return ("GET", "/api/v1/namespaces/default/pods/\(name)", [])
                    }
                    if let api {
                        await ready.arrive()
                        for index in 0..<requests {
                            let (method, path, body) = request(index)
                            let before = clock.now
                            let response = await api.handle(
                                APIRequest(
                                    method: method, path: path,
                                    headers: identity.authorization(adminToken: token).map {
                                        ["authorization": "Bearer \($0)", "content-type": "application/json"]
                                    } ?? ["content-type": "application/json"],
                                    body: body, clientCertificate: identity.der))
                            samples.append((before, clock.now - before))
                            guard response.status < 300 else { throw ValidationError("\(phase) failed with \(response.status)") }
                        }
                        return (client % identities.count, samples)
                    }
                    let server = servers[client % servers.count]
                    let connection = try await BenchHTTPSClient.connect(
                        host: server.0, port: server.1, caPEM: endpoint.ca, token: token, identity: identity)
                    try await connection.session { send in
                        // Connection set-up is not request latency (clients keep their
                        // connections): the first request on a connection also waits for the
                        // TLS handshake, so one untimed request completes it, and timing starts
                        // when every client has done so.
                        guard try await send("GET", "/version", []) == 200 else { throw ValidationError("warm-up request failed") }
                        await ready.arrive()
                        for index in 0..<requests {
                            let (method, path, body) = request(index)
                            let before = clock.now
                            let status = try await send(method, path, body)
                            samples.append((before, clock.now - before))
                            guard status < 300 else { throw ValidationError("\(phase) failed with \(status)") }
                        }
                    }
                    return (client % identities.count, samples)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let released = await ready.releasedAt ?? clock.now
        let elapsed = clock.now - released
        return try identities.indices.map { index in
            let identity = identities[index]
            let mine = perClient.filter { $0.identity == index }
            let samples = mine.flatMap(\.samples)
            if let raw { try Self.appendRaw(samples, phase: identity.isAdmin ? phase : "\(phase)-rbac", since: released, to: raw) }
            let latencies = samples.map(\.latency).sorted()
            func percentile(_ p: Double) -> String {
                String(format: "%.2f ms", latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))].seconds * 1000)
            }
            let mode =
                (handlersOnly ? "handlers" : servers.count > 1 ? "HTTPS, \(servers.count) servers" : "HTTPS")
                + (identity.isAdmin ? "" : identity.bearer == nil ? ", RBAC user" : ", RBAC service account")
            return
                "\(phase) (\(mode)): \(latencies.count) requests, \(mine.count) clients, p50 \(percentile(0.5)), p99 \(percentile(0.99)), \(Int(Double(latencies.count) / elapsed.seconds)) req/s"
        }.joined(separator: "\n")
    }

    /// Appends `phase,start_ms,latency_ms` lines, start counted from when the clients were released.
    static func appendRaw(
        _ samples: [(start: ContinuousClock.Instant, latency: Duration)], phase: String, since released: ContinuousClock.Instant, to path: String
    ) throws {
        let lines = samples.sorted { $0.start < $1.start }.map { sample in
            String(format: "%@,%.3f,%.3f\n", phase, (sample.start - released).seconds * 1000, sample.latency.seconds * 1000)
        }
        if !FileManager.default.fileExists(atPath: path) && !FileManager.default.createFile(atPath: path, contents: nil) {
            throw ValidationError("cannot create \(path)")
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw ValidationError("cannot write \(path)") }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(lines.joined().utf8))
    }
}
