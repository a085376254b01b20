import Logging
import SkiffClient

/// A controller's workers: keys posted by informer handlers go into a work queue (so a key is
/// synced by one worker at a time, and a burst of changes to one Service is one sync), and each
/// worker syncs keys until cancelled. A failed sync retries with the queue's per-key back-off.
struct SyncWorkers: Sendable {
    let name: String
    let queue = WorkQueue<String>()
    let workers: Int
    let logger: Logger

    init(name: String = "controller", workers: Int, logger: Logger) {
        self.name = name
        self.workers = workers
        self.logger = logger
    }

    /// Marks `key` as needing a sync; handlers call it on the informers' tasks, it never waits.
    func enqueue(_ key: String) { queue.add(key) }

    /// Runs the workers until the task is cancelled.
    func run(sync: @escaping @Sendable (String) async throws -> Void) async {
        await QueueWorkers(name: name, queue: queue, workers: workers, logger: logger, waitForCaches: {}, process: sync).run()
    }
}
