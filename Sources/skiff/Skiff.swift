import ArgumentParser
import Dispatch
import SkiffAgentCommand
import SkiffServerCommand

/// The `skiff` executable: one subcommand per component.
struct Skiff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skiff", abstract: "A lightweight Kubernetes-compatible cluster.",
        subcommands: [ServerCommand.self, AgentCommand.self, ImageCommand.self, PodsCommand.self, KubeconfigCommand.self])
}

/// A synchronous entry point that parks the main thread until the command finishes.
///
/// An `async` main hands the main thread to `dispatch_main`, which ends it with
/// `pthread_exit`; in a static binary that forced unwind makes libgcc classify every FDE of
/// the executable, faulting in all 6.6 MB of `.eh_frame` and allocating a sorted FDE table
/// in each long-running server and agent. Nothing here runs on the main actor, so the main
/// queue need not be drained.
@main
enum SkiffMain {
    static func main() {
        let finished = DispatchSemaphore(value: 0)
        Task.detached {
            await Skiff.main()
            finished.signal()
        }
        finished.wait()
    }
}
