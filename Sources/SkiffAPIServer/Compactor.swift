import Logging
import ServiceLifecycle
import SkiffStore

/// Periodically compacts the store so history stays bounded (the last `keep` revisions).
struct Compactor: Service {
    let store: any Store
    let logger: Logger
    var interval: Duration = .seconds(60)
    var keep: Int64 = 10_000

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { return }
                do {
                    try await store.compact(keepingRecent: keep)
                } catch {
                    logger.warning("compaction failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
