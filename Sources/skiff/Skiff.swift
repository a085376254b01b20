import ArgumentParser
import SkiffAgentCommand
import SkiffServerCommand

/// The `skiff` executable: one subcommand per component.
@main
struct Skiff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skiff", abstract: "A lightweight Kubernetes-compatible cluster.",
        subcommands: [ServerCommand.self, AgentCommand.self, ImageCommand.self, PodsCommand.self, BenchCommand.self])
}
