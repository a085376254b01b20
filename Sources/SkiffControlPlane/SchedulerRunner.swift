import Logging
import ServiceLifecycle
import SkiffScheduler

/// Runs the scheduler as a Service until graceful shutdown.
struct SchedulerRunner: Service {
    let scheduler: SchedulerService

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await scheduler.run()
        }
    }
}
