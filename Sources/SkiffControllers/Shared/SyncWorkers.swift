import Logging
import SkiffClient

/// A controller's workers: keys posted by informer handlers go into a work queue (so a key is
/// synced by one worker at a time, and a burst of changes to one Service is one sync), and each
/// worker syncs keys until cancelled. A failed sync retries with the queue's per-key back-off.
struct SyncWorkers: Sendable {
    let queue = WorkQueue<String>()
    /// Where handlers post keys: they run on the informers' tasks and must not wait.
    let inbox = Inbox<String>()
    let workers: Int
    let logger: Logger

    /// Marks `key` as needing a sync.
    func enqueue(_ key: String) { inbox.post(key) }

    /// Runs the workers until the task is cancelled.
    func run(sync: @escaping @Sendable (String) async throws -> Void) async {
        await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await batch in inbox.batches {
                        for key in batch.items { await queue.add(key) }
                    }
                }
                for _ in 0..<workers {
                    group.addTask {
                        while let key = await queue.next() {
                            do {
                                try await sync(key)
                                await queue.forget(key)
                            } catch {
                                let retries = await queue.retries(key)
                                logger.log(
                                    level: retries < 5 ? .debug : .warning, "sync failed; retrying",
                                    metadata: ["key": "\(key)", "retries": "\(retries)", "error": "\(error)"])
                                await queue.addRateLimited(key)
                            }
                            await queue.done(key)
                        }
                    }
                }
                await group.next()
                group.cancelAll()
            }
        } onCancel: {
            inbox.finish()
            // The queue is an actor: waking its waiting workers takes a hop onto it.
            Task { await queue.shutDown() }
        }
    }
}
