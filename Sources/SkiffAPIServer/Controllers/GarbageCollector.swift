import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffStore

/// Kubernetes' garbage collector, in process: deletes objects whose owners (all of their
/// `ownerReferences`) are gone, and carries out the Orphan and Foreground propagation policies
/// through the `orphan` and `foregroundDeletion` finalizers. Like kube-controller-manager's, it
/// keeps an owner → dependents index fed by a watch of every object, checks owners against the
/// live store before deleting anything, and retries what failed on the next tick.
public struct GarbageCollector: Service {
    let api: KubeAPI
    let logger: Logger
    /// How often failed work is retried.
    let retryInterval: Duration

    public init(api: KubeAPI, logger: Logger, retryInterval: Duration = .seconds(1)) {
        self.api = api
        self.logger = logger
        self.retryInterval = retryInterval
    }

    public func run() async throws {
        await ControllerInput.runRestarting("garbage collector", logger: logger, interval: retryInterval, runOnce)
    }

    /// One owner reference of a dependent.
    struct OwnerReference: Equatable {
        let uid: String
        let apiVersion: String
        let kind: String
        let name: String

        init?(_ json: JSON) {
            guard let uid = json["uid"].string, let apiVersion = json["apiVersion"].string, let kind = json["kind"].string,
                let name = json["name"].string
            else { return nil }
            self.uid = uid
            self.apiVersion = apiVersion
            self.kind = kind
            self.name = name
        }
    }

    enum Work: Hashable {
        /// Check a dependent's owners; delete it when none is left.
        case attemptToDelete(key: String)
        /// Strip an owner being deleted with Orphan from its dependents, then drop `orphan`.
        case orphan(key: String)
        /// Delete an owner's dependents, then drop `foregroundDeletion` once no blocking one is left.
        case foreground(key: String)
    }

    /// The owner → dependents index, as far as the watch has got.
    struct Graph {
        var ownersOf: [String: [OwnerReference]] = [:]
        /// Owner uid → keys of the objects that name it.
        var dependents: [String: Set<String>] = [:]

        mutating func set(key: String, owners: [OwnerReference]) {
            for old in ownersOf[key] ?? [] {
                dependents[old.uid]?.remove(key)
                if dependents[old.uid]?.isEmpty == true { dependents[old.uid] = nil }
            }
            ownersOf[key] = owners.isEmpty ? nil : owners
            for owner in owners { dependents[owner.uid, default: []].insert(key) }
        }
    }

    /// One run until the store ends its watches; `run()` adds restarts and graceful shutdown.
    public func runOnce() async throws {
        let store = api.store
        let revision = try await store.currentRevision()
        var graph = Graph()
        var queue: [Work] = []
        var deferred: Set<Work> = []
        for item in try await ControllerInput.listAll(store: store, prefix: "/registry/", revision: revision) {
            guard let object = try? api.decode(item) else { continue }
            queue += observe(item.key, object, deleted: false, graph: &graph, ownersChanged: true)
        }
        let inputs = try await ControllerInput.stream(store: store, prefix: "/registry/", after: revision, tick: retryInterval)
        await drain(&queue, graph: graph, deferred: &deferred)
        for await input in inputs {
            switch input {
            case .event(let event):
                // Most writes (status updates) neither own nor are owned: skip parsing them.
                let relevant =
                    event.kind == .deleted || graph.ownersOf[event.key] != nil
                    || Self.contains(event.value, "\"ownerReferences\"") || Self.contains(event.value, "\"deletionTimestamp\"")
                guard relevant, let object = try? api.decode(event.value, revision: event.revision) else { continue }
                let before = graph.ownersOf[event.key] ?? []
                let after = Self.owners(of: object)
                queue += observe(event.key, object, deleted: event.kind == .deleted, graph: &graph, ownersChanged: before != after)
            case .tick:
                queue += deferred
                deferred.removeAll()
            }
            await drain(&queue, graph: graph, deferred: &deferred)
        }
    }

    static func owners(of object: JSON) -> [OwnerReference] {
        (object["metadata"]["ownerReferences"].array ?? []).compactMap(OwnerReference.init)
    }

    static func contains(_ bytes: [UInt8], _ needle: String) -> Bool {
        let pattern = Array(needle.utf8)
        guard bytes.count >= pattern.count else { return false }
        return bytes.withUnsafeBufferPointer { buffer in
            var index = 0
            while index <= buffer.count - pattern.count {
                if buffer[index] == pattern[0], buffer[index..<index + pattern.count].elementsEqual(pattern) { return true }
                index += 1
            }
            return false
        }
    }

    /// Updates the index for one object and returns the work it causes.
    func observe(_ key: String, _ object: JSON, deleted: Bool, graph: inout Graph, ownersChanged: Bool) -> [Work] {
        let metadata = object["metadata"]
        let uid = metadata["uid"].string
        let owners = Self.owners(of: object)
        var work: [Work] = []
        if deleted {
            graph.set(key: key, owners: [])
            // Its dependents may now be orphans; owners waiting in Foreground may now be free.
            if let uid { work += (graph.dependents[uid] ?? []).sorted().map { .attemptToDelete(key: $0) } }
            let namespace = metadata["namespace"].string
            work += owners.compactMap { ownerKey($0, namespace: namespace) }.map { .foreground(key: $0) }
            return work
        }
        graph.set(key: key, owners: owners)
        if !owners.isEmpty && ownersChanged { work.append(.attemptToDelete(key: key)) }
        if !metadata["deletionTimestamp"].isNull {
            let finalizers = (metadata["finalizers"].array ?? []).compactMap(\.string)
            if finalizers.contains("orphan") { work.append(.orphan(key: key)) }
            if finalizers.contains("foregroundDeletion") { work.append(.foreground(key: key)) }
        }
        return work
    }

    func drain(_ queue: inout [Work], graph: Graph, deferred: inout Set<Work>) async {
        var seen: Set<Work> = []
        while !queue.isEmpty {
            let work = queue.removeFirst()
            guard seen.insert(work).inserted else { continue }
            do {
                queue += try await perform(work, graph: graph)
            } catch {
                logger.debug("garbage collection retries later", metadata: ["work": "\(work)", "error": "\(error)"])
                deferred.insert(work)
            }
        }
    }

    func perform(_ work: Work, graph: Graph) async throws -> [Work] {
        switch work {
        case .attemptToDelete(let key): return try await attemptToDelete(key, graph: graph)
        case .orphan(let key): try await orphanDependents(of: key, graph: graph)
        case .foreground(let key): return try await deleteDependentsFirst(of: key, graph: graph)
        }
        return []
    }

    /// The store key of an owner, resolved against a dependent's namespace.
    func ownerKey(_ owner: OwnerReference, namespace: String?) -> String? {
        let group = owner.apiVersion.contains("/") ? String(owner.apiVersion.split(separator: "/")[0]) : ""
        guard let definition = api.registry.definition(kind: owner.kind, group: group) else { return nil }
        if definition.namespaced && namespace == nil { return nil }
        return definition.key(namespace: definition.namespaced ? namespace : nil, name: owner.name)
    }

    enum OwnerState { case absent, solid, waitingForDependents }

    func state(of owner: OwnerReference, namespace: String?) async throws -> OwnerState {
        let group = owner.apiVersion.contains("/") ? String(owner.apiVersion.split(separator: "/")[0]) : ""
        // An owner of a kind skiff does not serve can't be checked: keep the dependent.
        guard api.registry.definition(kind: owner.kind, group: group) != nil else { return .solid }
        guard let key = ownerKey(owner, namespace: namespace), let stored = try await api.storeGet(key) else { return .absent }
        let live = try api.decode(stored)
        guard live["metadata"]["uid"].string == owner.uid else { return .absent }
        let finalizers = (live["metadata"]["finalizers"].array ?? []).compactMap(\.string)
        if !live["metadata"]["deletionTimestamp"].isNull && finalizers.contains("foregroundDeletion") { return .waitingForDependents }
        return .solid
    }

    /// Kubernetes' attemptToDeleteItem: all owners gone → delete; some gone → drop those references.
    func attemptToDelete(_ key: String, graph: Graph) async throws -> [Work] {
        guard let target = api.target(forKey: key), let stored = try await api.storeGet(key) else { return [] }
        let current = try api.decode(stored)
        if !current["metadata"]["deletionTimestamp"].isNull {
            let finalizers = (current["metadata"]["finalizers"].array ?? []).compactMap(\.string)
            return finalizers.contains("foregroundDeletion") ? [.foreground(key: key)] : []
        }
        let owners = Self.owners(of: current)
        // No owners (any more, e.g. orphaned meanwhile): nothing to collect.
        guard !owners.isEmpty else { return [] }
        let namespace = current["metadata"]["namespace"].string
        var absent: Set<String> = []
        var waiting: Set<String> = []
        var solid = 0
        for owner in owners {
            switch try await state(of: owner, namespace: namespace) {
            case .absent: absent.insert(owner.uid)
            case .waitingForDependents: waiting.insert(owner.uid)
            case .solid: solid += 1
            }
        }
        if solid > 0 {
            guard !absent.isEmpty || !waiting.isEmpty else { return [] }
            // Another owner keeps it: forget the dead owners, and stop blocking the ones being
            // deleted in Foreground so they need not wait for an object that stays.
            var next = current
            let references = (current["metadata"]["ownerReferences"].array ?? []).compactMap { reference -> JSON? in
                guard let uid = reference["uid"].string else { return reference }
                if absent.contains(uid) { return nil }
                var kept = reference
                if waiting.contains(uid) { kept["blockOwnerDeletion"] = false }
                return kept
            }
            next["metadata"]["ownerReferences"] = .array(references)
            _ = try await api.commit(target, stored: stored, current: current, proposed: next)
            let freed = Self.owners(of: current).filter { waiting.contains($0.uid) }
            return freed.compactMap { ownerKey($0, namespace: namespace) }.map { Work.foreground(key: $0) }
        }
        let finalizers = (current["metadata"]["finalizers"].array ?? []).compactMap(\.string)
        let policy: PropagationPolicy
        if !waiting.isEmpty, let uid = current["metadata"]["uid"].string, !(graph.dependents[uid] ?? []).isEmpty {
            policy = .foreground
        } else if finalizers.contains("orphan") {
            policy = .orphan
        } else if finalizers.contains("foregroundDeletion") {
            policy = .foreground
        } else {
            policy = .background
        }
        logger.debug("garbage collecting", metadata: ["key": "\(key)", "policy": "\(policy.rawValue)"])
        do {
            _ = try await api.deleteObject(target, stored: stored, current: current, gracePeriod: nil, propagation: policy)
        } catch let error as APIError where error.code == 404 {
            return []
        }
        return []
    }

    /// Orphan: remove the owner from every dependent, then the `orphan` finalizer from the owner.
    func orphanDependents(of key: String, graph: Graph) async throws {
        guard let target = api.target(forKey: key), let stored = try await api.storeGet(key) else { return }
        let owner = try api.decode(stored)
        var finalizers = (owner["metadata"]["finalizers"].array ?? []).compactMap(\.string)
        guard !owner["metadata"]["deletionTimestamp"].isNull, finalizers.contains("orphan"), let uid = owner["metadata"]["uid"].string else {
            return
        }
        for dependentKey in (graph.dependents[uid] ?? []).sorted() {
            guard let dependentTarget = api.target(forKey: dependentKey), let dependentStored = try await api.storeGet(dependentKey) else { continue }
            let dependent = try api.decode(dependentStored)
            let references = dependent["metadata"]["ownerReferences"].array ?? []
            let kept = references.filter { $0["uid"].string != uid }
            guard kept.count != references.count else { continue }
            var next = dependent
            next["metadata"]["ownerReferences"] = kept.isEmpty ? .null : .array(kept)
            _ = try await api.commit(dependentTarget, stored: dependentStored, current: dependent, proposed: next)
        }
        finalizers.removeAll { $0 == "orphan" }
        var next = owner
        next["metadata"]["finalizers"] = finalizers.isEmpty ? .null : .array(finalizers.map(JSON.string))
        _ = try await api.commit(target, stored: stored, current: owner, proposed: next)
    }

    /// Foreground: delete the dependents; drop `foregroundDeletion` once none that blocks is left.
    func deleteDependentsFirst(of key: String, graph: Graph) async throws -> [Work] {
        guard let target = api.target(forKey: key), let stored = try await api.storeGet(key) else { return [] }
        let owner = try api.decode(stored)
        var finalizers = (owner["metadata"]["finalizers"].array ?? []).compactMap(\.string)
        guard !owner["metadata"]["deletionTimestamp"].isNull, finalizers.contains("foregroundDeletion"),
            let uid = owner["metadata"]["uid"].string
        else { return [] }
        var blocking = false
        var work: [Work] = []
        for dependentKey in (graph.dependents[uid] ?? []).sorted() {
            guard let dependentStored = try await api.storeGet(dependentKey) else { continue }
            let dependent = try api.decode(dependentStored)
            guard let reference = (dependent["metadata"]["ownerReferences"].array ?? []).first(where: { $0["uid"].string == uid }) else { continue }
            if reference["blockOwnerDeletion"].bool == true { blocking = true }
            if dependent["metadata"]["deletionTimestamp"].isNull { work.append(.attemptToDelete(key: dependentKey)) }
        }
        if blocking { return work }
        finalizers.removeAll { $0 == "foregroundDeletion" }
        var next = owner
        next["metadata"]["finalizers"] = finalizers.isEmpty ? .null : .array(finalizers.map(JSON.string))
        _ = try await api.commit(target, stored: stored, current: owner, proposed: next)
        return work
    }
}
