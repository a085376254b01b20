import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffStore
import Synchronization

/// The uid of every pod and ServiceAccount (and a ServiceAccount's `automountServiceAccountToken`),
/// by store key, kept from store watches: what a bound
/// service-account token is checked against on every request it authenticates (the pod it names
/// must still exist with the same uid), without reading the store (Kubernetes' token
/// authenticator reads informer caches the same way). Until a kind's first list, a lookup reads
/// the store. ServiceAccount admission reads it too, as kube-apiserver's reads its lister.
final class BoundObjectCache: Sendable {
    /// Store key → entry, per kind prefix; nil until the first list and after the watch ends.
    private let uids = Mutex<[String: [String: Entry]]>([:])

    struct Entry: Equatable {
        let uid: String
        /// A ServiceAccount's `automountServiceAccountToken`, when it says.
        let automountToken: Bool?

        init?(_ object: JSON) {
            guard let uid = object["metadata"]["uid"].string else { return nil }
            self.uid = uid
            automountToken = object["automountServiceAccountToken"].bool
        }
    }

    static let kinds = [CoreResources.pod, CoreResources.serviceAccount]

    /// What the cache knows of `key`.
    enum Lookup: Equatable {
        case unknown
        case missing
        case found(Entry)
    }

    func lookup(_ key: String, prefix: String) -> Lookup {
        uids.withLock { uids in
            guard let known = uids[prefix] else { return .unknown }
            return known[key].map(Lookup.found) ?? .missing
        }
    }

    /// The object at `key`, from the cache or, before it has listed, the store. With
    /// `confirmMissing` a key the cache lacks is read from the store too (an object created a
    /// moment ago may not have reached the cache yet).
    func entry(_ key: String, definition: ResourceDefinition, _ api: KubeAPI, confirmMissing: Bool = false) async throws -> Entry? {
        switch lookup(key, prefix: definition.prefix(namespace: nil)) {
        case .found(let entry): return entry
        case .missing where !confirmMissing: return nil
        case .missing, .unknown:
            guard let stored = try await api.storeGet(key) else { return nil }
            return Entry(try api.decode(stored))
        }
    }

    /// Lists one kind, then follows its events until they end: through the watch cache, so the
    /// cache costs the store no watch of its own (the API's watchers of pods already share one),
    /// or through a store watch when the watch cache does not serve.
    func follow(_ definition: ResourceDefinition, _ api: KubeAPI) async throws {
        let prefix = definition.prefix(namespace: nil)
        defer { uids.withLock { $0[prefix] = nil } }
        let revision = try await api.store.currentRevision()
        let source = try await api.watchSource(definition: definition, keyPrefix: prefix, after: revision)
        defer { api.watchCache.unsubscribe(source.subscription, resourcePrefix: prefix) }
        var known: [String: Entry] = [:]
        for item in try await ControllerInput.listAll(store: api.store, prefix: prefix, revision: revision) {
            known[item.key] = (try? api.decode(item)).flatMap(Entry.init)
        }
        uids.withLock { $0[prefix] = known }
        if let events = source.ownStoreWatch {
            for await event in events { apply(event, definition, api) }
            return
        }
        while let item = await source.subscription.next() {
            if case .event(let event) = item { apply(event, definition, api) }
        }
    }

    private func apply(_ event: StoreEvent, _ definition: ResourceDefinition, _ api: KubeAPI) {
        let prefix = definition.prefix(namespace: nil)
        // A pod's uid never changes while its key lives: its status writes parse nothing.
        if event.kind == .updated, definition.kind == "Pod", case .found = lookup(event.key, prefix: prefix) { return }
        // Parsed through the API's shared cache, so the watch cache's fan-out of the same event
        // to other watchers does not parse it again.
        let entry = event.kind == .deleted ? nil : (try? api.decode(event, as: definition)).flatMap(Entry.init)
        uids.withLock { $0[prefix]?[event.key] = entry }
    }
}

/// Runs the bound-object cache's watches until graceful shutdown, relisting when one ends.
struct BoundObjectCacheService: Service {
    let api: KubeAPI
    let logger: Logger

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            for definition in BoundObjectCache.kinds {
                group.addTask { [api, logger] in
                    await ControllerInput.runRestarting("\(definition.plural) uid cache", logger: logger, interval: .seconds(1)) {
                        try await api.boundObjects.follow(definition, api)
                    }
                }
            }
        }
    }
}
