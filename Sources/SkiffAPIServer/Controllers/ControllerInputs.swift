import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffStore

/// The store-following loops the API server keeps for itself (the namespace cache, the pod CIDR
/// tracker): restarts and paged lists. Controllers proper run on informers in SkiffControllers.
enum ControllerInput {}

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
