import ArgumentParser
import Foundation

/// The HTTPS clients of `skiff-bench api`, in their own process: create then get, one line each.
struct APIClientsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api-clients", abstract: "The client side of `skiff-bench api` (started by it).", shouldDisplay: false)

    @Option(help: "The benchmark server's admin kubeconfig.") var kubeconfig: String
    @Option(help: "Concurrent clients.") var clients = 50
    @Option(help: "Requests per client for each of create and get.") var requests = 40
    @Option(help: "Also write every request as CSV to this file.") var raw: String?
    @Option(
        name: .customLong("server"),
        help: "An API server (https://HOST:PORT) to spread the clients over, round-robin; repeat for several (default: the kubeconfig's port on 127.0.0.1).")
    var servers: [String] = []
    @Option(help: "A file holding the admin bearer token (default: the benchmark servers' own).") var tokenFile: String?
    @Option(help: "A user's kubeconfig (client certificate): half the clients are this user, timed apart from the admin's half.")
    var userKubeconfig: String?

    func validate() throws {
        for server in servers where Self.hostAndPort(server) == nil {
            throw ValidationError("--server \(server): want https://HOST:PORT")
        }
    }

    func run() async throws {
        let endpoint = try await APIBenchCommand.waitForKubeconfig(kubeconfig)
        let token =
            try tokenFile.map { try String(contentsOfFile: $0, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) }
            ?? SkiffBenchCommand.token
        let identities = [BenchIdentity.admin] + (try userKubeconfig.map { [try BenchIdentity.user(kubeconfig: $0)] } ?? [])
        for phase in ["create", "get"] {
            print(
                try await APIBenchCommand.measure(
                    phase: phase, clients: clients, requests: requests, api: nil, endpoint: endpoint, servers: servers.compactMap(Self.hostAndPort),
                    token: token, raw: raw, identities: identities))
        }
    }

    static func hostAndPort(_ url: String) -> (host: String, port: Int)? {
        guard url.hasPrefix("https://") else { return nil }
        let parts = url.dropFirst("https://".count).split(separator: ":")
        guard parts.count == 2, !parts[0].isEmpty, let port = Int(parts[1]), (1...65535).contains(port) else { return nil }
        return (String(parts[0]), port)
    }
}
