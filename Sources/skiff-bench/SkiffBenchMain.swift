import Dispatch
import SkiffBench

/// A synchronous entry point that parks the main thread until the command finishes, as `skiff`'s
/// does: scripts/bench builds this binary static, and an `async` main would end the main thread
/// with `pthread_exit`, whose forced unwind reads every FDE of the binary — a cost each of the
/// many short `skiff-bench stats` runs of a bench would pay.
@main
enum SkiffBenchMain {
    static func main() {
        let finished = DispatchSemaphore(value: 0)
        Task.detached {
            await SkiffBenchCommand.main()
            finished.signal()
        }
        finished.wait()
    }
}
