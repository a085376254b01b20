import Logging
import ServiceLifecycle

/// A controller's workers (client-go's `processNextWorkItem` loop): each takes a key from the
/// queue, processes it, forgets its back-off on success or retries it rate-limited on failure,
/// and marks it done. Before the first key they wait for the informers the controller reads.
public struct QueueWorkers<Key: Hashable & Sendable>: Service {
    public let name: String
    public let queue: WorkQueue<Key>
    public let workers: Int
    private let waitForCaches: @Sendable () async -> Void
    private let process: @Sendable (Key) async throws -> Void
    private let logger: Logger

    public init(
        name: String, queue: WorkQueue<Key>, workers: Int = 1, logger: Logger, waitForCaches: @escaping @Sendable () async -> Void,
        process: @escaping @Sendable (Key) async throws -> Void
    ) {
        self.name = name
        self.queue = queue
        self.workers = workers
        self.logger = logger
        self.waitForCaches = waitForCaches
        self.process = process
    }

    public func run() async {
        let queue = queue
        await cancelWhenGracefulShutdown {
            await withTaskCancellationHandler {
                await waitForCaches()
                await withTaskGroup(of: Void.self) { group in
                    for _ in 0..<max(1, workers) { group.addTask { await work() } }
                }
            } onCancel: {
                // A worker waiting in `next()` is woken with nil.
                queue.shutDown()
            }
        }
    }

    private func work() async {
        while let key = await queue.next() {
            do {
                try await process(key)
                queue.forget(key)
            } catch {
                let retries = queue.retries(key)
                logger.warning("\(name) failed; retrying", metadata: ["key": "\(key)", "retries": "\(retries)", "error": "\(error)"])
                queue.addRateLimited(key)
            }
            queue.done(key)
        }
    }
}
