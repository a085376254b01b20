import ArgumentParser
import SkiffAgent

/// `skiff pods`: this node's pods, containers and their accounting, without the server.
public struct PodsCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "pods", abstract: "List this node's pods, containers, state, cgroup, CPU, memory, pids, OOM kills and PSI.")
    @Option(help: "The agent's data directory.") var dataDir = "/var/lib/skiff/agent"
    @Option(help: "Top cgroup for pods.") var cgroupRoot = "kubepods"
    public init() {}

    public func run() throws {
        print(try LocalPodsView.render(dataDirectory: dataDir, cgroupRoot: cgroupRoot), terminator: "")
    }
}
