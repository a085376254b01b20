import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffStore
import Synchronization

/// Which namespaces exist and which are terminating, kept from a store watch, for the check every
/// namespaced create makes. Kubernetes' NamespaceLifecycle admission reads an informer cache the
/// same way instead of the store. A namespace the cache has not seen (created a moment ago, or
/// the cache not yet synced) is looked up in the store.
final class NamespaceCache: Sendable {
    /// Namespace name → terminating; nil until the first list and after the watch ends.
    private let namespaces = Mutex<[String: Bool]?>(nil)

    /// Whether the namespace is terminating, or nil when the cache cannot say.
    func isTerminating(_ name: String) -> Bool? {
        namespaces.withLock { $0?[name] }
    }

    /// Lists the namespaces, then follows their watch until it ends; the cache answers nothing
    /// again until the next list.
    func follow(_ api: KubeAPI) async throws {
        defer { namespaces.withLock { $0 = nil } }
        let prefix = CoreResources.namespace.prefix(namespace: nil)
        let revision = try await api.store.currentRevision()
        let events = try await api.store.watch(prefix: prefix, afterRevision: revision)
        var known: [String: Bool] = [:]
        for item in try await ControllerInput.listAll(store: api.store, prefix: prefix, revision: revision) {
            if let namespace = try? api.decode(item), let name = namespace["metadata"]["name"].string {
                known[name] = Self.terminating(namespace)
            }
        }
        namespaces.withLock { $0 = known }
        for await event in events {
            guard let namespace = try? api.decode(event.value, revision: event.revision), let name = namespace["metadata"]["name"].string else { continue }
            let terminating = event.kind == .deleted ? nil : Self.terminating(namespace)
            namespaces.withLock { $0?[name] = terminating }
        }
    }

    static func terminating(_ namespace: JSON) -> Bool {
        namespace["status"]["phase"].string == "Terminating"
    }
}

/// Runs the API's namespace cache until graceful shutdown, relisting when its watch ends.
struct NamespaceCacheService: Service {
    let api: KubeAPI
    let logger: Logger

    func run() async throws {
        await ControllerInput.runRestarting("namespace cache", logger: logger, interval: .seconds(1)) { [api] in
            try await api.namespaces.follow(api)
        }
    }
}
