import ArgumentParser
import SkiffServerCommand

/// The `skiff` executable: one subcommand per component (`agent` and `image` join later).
@main
struct Skiff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skiff", abstract: "A lightweight Kubernetes-compatible cluster.", subcommands: [ServerCommand.self, BenchCommand.self])
}
