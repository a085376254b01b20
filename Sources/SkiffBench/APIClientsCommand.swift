import ArgumentParser

/// The HTTPS clients of `skiff-bench api`, in their own process: create then get, one line each.
struct APIClientsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api-clients", abstract: "The client side of `skiff-bench api` (started by it).", shouldDisplay: false)

    @Option(help: "The benchmark server's admin kubeconfig.") var kubeconfig: String
    @Option(help: "Concurrent clients.") var clients = 50
    @Option(help: "Requests per client for each of create and get.") var requests = 40
    @Option(help: "Also write every request as CSV to this file.") var raw: String?

    func run() async throws {
        let endpoint = try await APIBenchCommand.waitForKubeconfig(kubeconfig)
        for phase in ["create", "get"] {
            print(try await APIBenchCommand.measure(phase: phase, clients: clients, requests: requests, api: nil, endpoint: endpoint, raw: raw))
        }
    }
}
