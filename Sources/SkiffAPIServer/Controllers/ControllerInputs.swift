import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffStore

/// What wakes a controller: a store change under its prefix, or a periodic tick for retries and
/// for waiting on things no event announces (a pod's grace period running out).
enum ControllerInput: Sendable {
    case event(StoreEvent)
    case tick
}

extension ControllerInput {
    /// A controller's service loop: `runOnce` until graceful shutdown. A watch that ends (etcd
    /// restarted, compaction) or fails starts over from a fresh list after `interval`.
    static func runRestarting(_ name: String, logger: Logger, interval: Duration, _ runOnce: @escaping @Sendable () async throws -> Void) async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await runOnce()
                } catch {
                    logger.warning("\(name) restarting", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// The store's watch from `revision` on, merged with a tick every `interval`. The stream ends
    /// when the watch ends (store closed) or the consuming task is cancelled.
    static func stream(store: any Store, prefix: String, after revision: Int64, tick interval: Duration) async throws -> AsyncStream<ControllerInput> {
        let events = try await store.watch(prefix: prefix, afterRevision: revision)
        let (stream, continuation) = AsyncStream<ControllerInput>.makeStream()
        let watcher = Task {
            for await event in events { continuation.yield(.event(event)) }
            continuation.finish()
        }
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                continuation.yield(.tick)
            }
        }
        continuation.onTermination = { _ in
            watcher.cancel()
            ticker.cancel()
        }
        return stream
    }

    /// Every object under `prefix` at `revision`, page by page.
    static func listAll(store: any Store, prefix: String, revision: Int64) async throws -> [KeyValue] {
        var items: [KeyValue] = []
        var after: String? = nil
        while true {
            let page = try await store.list(prefix: prefix, startAfter: after, limit: 500, revision: revision)
            items += page.items
            guard page.hasMore, let last = page.items.last else { return items }
            after = last.key
        }
    }
}
