import Logging
import ServiceLifecycle
import SkiffStore

/// Runs the API server's watch cache until graceful shutdown, when its store watches close and
/// every client still subscribed is ended.
struct WatchCacheService: Service {
    let cache: WatchCache
    let store: any Store
    let logger: Logger

    func run() async throws {
        // Runs (idle) even with the cache disabled: a service that returns ends the ServiceGroup.
        await cancelWhenGracefulShutdown {
            await cache.run(store: store, logger: logger)
        }
    }
}
