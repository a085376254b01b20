import ArgumentParser

/// `skiff-bench`: the control plane's benches (`api`, `scheduler`), the service proxy's (`proxy`), the cluster DNS server's (`dns`) and the statistics every bench
/// in `scripts/bench` prints (`stats`). Not part of the shipped `skiff` binary: it is a development
/// tool, run through `scripts/bench` (docs/performance.md).
public struct SkiffBenchCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "skiff-bench", abstract: "Measure Skiff's control plane; compute bench statistics.",
        subcommands: [
            APIBenchCommand.self, APIClientsCommand.self, SchedulerBenchCommand.self, ControllersBenchCommand.self, ProxyBenchCommand.self,
            ProxyProbeCommand.self,
            DNSBenchCommand.self, WatchFanoutBenchCommand.self, WatchFanoutClientsCommand.self, StatsCommand.self,
        ])

    public init() {}

    /// The admin bearer token of the servers the benches start.
    static let token = "bench-admin"
}
