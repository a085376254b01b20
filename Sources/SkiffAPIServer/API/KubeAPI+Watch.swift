import Foundation
import SkiffAPI
import SkiffStore

extension KubeAPI {
    /// An opened watch: its events are produced by `run` (until the client goes, the watch times
    /// out or the store closes), or the requested resourceVersion is already compacted.
    public enum WatchSession {
        /// `run` calls `emit` with each event's type (ADDED, MODIFIED, DELETED, BOOKMARK) and
        /// object; throwing from `emit` ends the watch.
        case open(run: @Sendable (_ emit: @escaping @Sendable (_ type: String, _ object: JSON) async throws -> Void) async throws -> Void)
        /// The requested resourceVersion is compacted: the `Expired` (410) status a client gets.
        case expired(status: JSON)
    }

    /// `?watch=true`: newline-delimited `{"type":…,"object":…}` events from `resourceVersion` on.
    /// No (or "0") resourceVersion starts with ADDED events for the current state. A compacted
    /// resourceVersion gets a 410 `Expired` ERROR event, after which clients relist.
    func watch(_ target: Target, _ request: APIRequest) async throws -> APIResponse {
        switch try await openWatch(target, request) {
        case .expired(let status):
            return APIResponse(status: 200, body: .bytes(Self.eventLine("ERROR", status)))
        case .open(let run):
            let definition = target.definition
            let wantsTable = request.wantsTable
            return APIResponse(
                status: 200,
                body: .stream { writer in
                    try await run { type, object in
                        if wantsTable || type == "BOOKMARK" {
                            try await writer.write(Self.eventLine(type, self.render(object, definition, wantsTable, request)))
                        } else {
                            try await writer.write(self.encodedEvents.line(type: type, object: object))
                        }
                    }
                })
        }
    }

    /// The events of a watch as objects: what `watch` serializes, for in-process clients (the
    /// scheduler), which would otherwise parse every event straight back.
    func openWatch(_ target: Target, _ request: APIRequest) async throws -> WatchSession {
        let selection = try selection(target, request)
        let definition = target.definition
        let prefix = definition.prefix(namespace: target.namespace)
        let requested = request.query["resourceVersion"] ?? ""
        var initial: [JSON] = []
        let after: Int64
        if requested.isEmpty || requested == "0" {
            let current = try await store.list(prefix: prefix, startAfter: nil, limit: nil, revision: nil)
            initial = try current.items.map { try decode($0, as: definition) }.filter(selection.matches)
            after = current.revision
        } else {
            guard let revision = Int64(requested), revision >= 0 else {
                throw APIError.badRequest("invalid resourceVersion \"\(requested)\"")
            }
            after = revision
        }
        let source: WatchSource
        do {
            source = try await watchSource(definition: definition, keyPrefix: prefix, after: after)
        } catch .compacted(let compactRevision) {
            return .expired(status: APIError.gone("too old resource version: \(after) (\(compactRevision))").status)
        } catch {
            throw Self.map(error, definition, name: nil)
        }
        // Like the Kubernetes API server, a watch without timeoutSeconds ends after 30–60 minutes,
        // which also bounds how long a silently disconnected client's watch can linger.
        let timeout = request.query["timeoutSeconds"].flatMap(Int.init) ?? Int.random(in: 1800...3600)
        let bookmarks = request.flag("allowWatchBookmarks")
        let interval = bookmarkInterval
        let initialObjects = initial
        let cache = watchCache
        let resourcePrefix = definition.prefix(namespace: nil)
        return .open { emit in
            let subscription = source.subscription
            defer { cache.unsubscribe(subscription, resourcePrefix: resourcePrefix) }
            for object in initialObjects {
                try await emit("ADDED", object)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                if let events = source.ownStoreWatch {
                    // The cache does not serve: this client's own store watch fills its queue.
                    group.addTask {
                        for await event in events where !subscription.offer(event) { break }
                        subscription.finish()
                    }
                }
                if bookmarks {
                    group.addTask {
                        while !Task.isCancelled {
                            try? await Task.sleep(for: interval)
                            subscription.requestBookmark()
                        }
                    }
                }
                group.addTask {
                    try? await Task.sleep(for: .seconds(timeout))
                    subscription.finish()
                }
                while let item = await subscription.next() {
                    switch item {
                    case .bookmark(let revision):
                        let bookmark: JSON = [
                            "kind": .string(definition.kind), "apiVersion": .string(definition.naming.apiVersion),
                            "metadata": ["resourceVersion": .string(String(revision))],
                        ]
                        try await emit("BOOKMARK", bookmark)
                    case .event(let event):
                        guard let (type, object) = try self.watchEvent(event, selection, definition) else { continue }
                        try await emit(type, object)
                    }
                }
                group.cancelAll()
            }
        }
    }

    /// Where a watch's events come from: a subscription to the watch cache, or (cache off or not
    /// running) a store watch of its own that fills a subscription the same way.
    struct WatchSource: Sendable {
        let subscription: WatchSubscription
        let ownStoreWatch: AsyncStream<StoreEvent>?
    }

    func watchSource(definition: ResourceDefinition, keyPrefix: String, after: Int64) async throws(StoreError) -> WatchSource {
        if let subscription = try await watchCache.subscribe(resourcePrefix: definition.prefix(namespace: nil), keyPrefix: keyPrefix, after: after) {
            return WatchSource(subscription: subscription, ownStoreWatch: nil)
        }
        let events = try await store.watch(prefix: keyPrefix, afterRevision: after)
        return WatchSource(
            subscription: WatchSubscription(keyPrefix: keyPrefix, afterRevision: after, backlog: watchCache.limits.backlog), ownStoreWatch: events)
    }

    func render(_ object: JSON, _ definition: ResourceDefinition, _ wantsTable: Bool, _ request: APIRequest) -> JSON {
        guard wantsTable else { return object }
        return table(definition, objects: [object], request: request, listMeta: ["resourceVersion": object["metadata"]["resourceVersion"]])
    }

    static func eventLine(_ type: String, _ object: JSON) -> [UInt8] {
        JSON.object(["type": .string(type), "object": object]).bytes + [UInt8(ascii: "\n")]
    }

    /// Maps a store event to a watch event, turning selector transitions into ADDED/DELETED.
    func watchEvent(_ event: StoreEvent, _ selection: Selection, _ definition: ResourceDefinition) throws -> (String, JSON)? {
        let object = try decode(event, as: definition)
        switch event.kind {
        case .created:
            return selection.matches(object) ? ("ADDED", object) : nil
        case .deleted:
            return selection.matches(object) ? ("DELETED", object) : nil
        case .updated:
            let matchesNow = selection.matches(object)
            // Without a selector every version matches: the previous one need not be parsed.
            let matchedBefore =
                try event.previousValue.map { try selection.isEverything || selection.matches(decode($0, revision: event.revision, as: definition)) }
                ?? false
            switch (matchedBefore, matchesNow) {
            case (true, true): return ("MODIFIED", object)
            case (false, true): return ("ADDED", object)
            case (true, false): return ("DELETED", object)
            case (false, false): return nil
            }
        }
    }
}
