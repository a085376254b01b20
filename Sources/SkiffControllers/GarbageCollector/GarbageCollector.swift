import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffClient

/// kube-controller-manager's garbage collector: deletes objects whose owners (all of their
/// `ownerReferences`) are gone, and carries out the Orphan and Foreground propagation policies
/// through the `orphan` and `foregroundDeletion` finalizers. Its graph is a metadata informer per
/// resource type (`GraphMonitors`) whose handlers only enqueue work; workers check owners
/// against the live API before deleting anything, and act only through the API, so admission,
/// preconditions and graceful deletion apply to its writes.
public final class GarbageCollector: Service, Sendable {
    /// The field manager its writes (dropped owner references and finalizers) are recorded under.
    public static let fieldManager = "generic-garbage-collector"

    let client: any ControllerClient
    let logger: Logger
    let queue = WorkQueue<GarbageCollectorWork>()
    let workers: Int
    /// How long to wait before asking discovery again when it failed.
    let discoveryRetry: Duration

    public init(client: any ControllerClient, logger: Logger, workers: Int = 2, discoveryRetry: Duration = .seconds(1)) {
        self.client = client
        var logger = logger
        logger[metadataKey: "controller"] = "garbagecollector"
        self.logger = logger
        self.workers = workers
        self.discoveryRetry = discoveryRetry
    }

    public func run() async {
        await cancelWhenGracefulShutdown {
            guard let graph = await self.discover() else { return }
            self.register(graph)
            await withTaskGroup(of: Void.self) { group in
                for monitor in graph.monitors { group.addTask { await monitor.informer.run() } }
                group.addTask {
                    await QueueWorkers(
                        name: "garbage collector", queue: self.queue, workers: self.workers, logger: self.logger,
                        waitForCaches: { await graph.waitForSync() }, process: { try await self.sync($0, graph: graph) }
                    ).run()
                }
            }
        }
    }

    /// The resource types to follow, from discovery, retried until it answers; nil if cancelled.
    private func discover() async -> GraphMonitors? {
        while !Task.isCancelled {
            do {
                return try await GraphMonitors(served: try await client.servedResources(), client: client, logger: logger)
            } catch {
                logger.warning("discovery failed; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: discoveryRetry)
            }
        }
        return nil
    }

    /// Has every monitor's changes enqueue the work they cause (kube's graph builder's
    /// processGraphChanges, with the graph itself held by the informers' owner index).
    private func register(_ graph: GraphMonitors) {
        let queue = queue
        for monitor in graph.monitors {
            let resource = monitor.resource.resource
            monitor.informer.addHandler { change in
                switch change {
                case .added(let node):
                    Self.enqueue(node, resource: resource, ownersChanged: true, queue: queue)
                case .updated(let old, let new):
                    let ownersChanged = old.owners != new.owners
                    Self.enqueue(new, resource: resource, ownersChanged: ownersChanged, queue: queue)
                    // A dependent that stopped blocking (or naming) an owner in Foreground may free it.
                    if ownersChanged {
                        for owner in old.owners + new.owners {
                            if let id = graph.id(of: owner, dependentNamespace: new.namespace) { queue.add(.foreground(id)) }
                        }
                    }
                case .deleted(let node):
                    // Its dependents may now be orphans; owners waiting in Foreground may now be free.
                    for dependent in graph.dependents(of: node.uid) { queue.add(.attemptToDelete(dependent.id)) }
                    for owner in node.owners {
                        if let id = graph.id(of: owner, dependentNamespace: node.namespace) { queue.add(.foreground(id)) }
                    }
                }
            }
        }
    }

    private static func enqueue(_ node: GraphNode, resource: APIResource, ownersChanged: Bool, queue: WorkQueue<GarbageCollectorWork>) {
        let id = GraphObjectID(resource: resource, namespace: node.namespace, name: node.name)
        if !node.owners.isEmpty && ownersChanged { queue.add(.attemptToDelete(id)) }
        if node.waitsForOrphaning { queue.add(.orphan(id)) }
        if node.waitsForDependents { queue.add(.foreground(id)) }
    }

    func sync(_ work: GarbageCollectorWork, graph: GraphMonitors) async throws {
        switch work {
        case .attemptToDelete(let id): try await attemptToDelete(id, graph: graph)
        case .orphan(let id): try await orphanDependents(of: id, graph: graph)
        case .foreground(let id): try await deleteDependentsFirst(of: id, graph: graph)
        }
    }

    enum OwnerState { case absent, solid, waitingForDependents }

    /// An owner as the live API has it: gone (or replaced by another of the same name), being
    /// deleted in Foreground, or there.
    func state(of owner: GraphNode.Owner, dependentNamespace namespace: String, graph: GraphMonitors) async throws -> OwnerState {
        // An owner of a kind the server does not serve can't be checked: keep the dependent.
        guard graph.resource(of: owner) != nil else { return .solid }
        guard let id = graph.id(of: owner, dependentNamespace: namespace),
            let live = try await client.get(id.resource, namespace: id.namespace, name: id.name)
        else { return .absent }
        let current = try GraphNode(json: live)
        guard current.uid == owner.uid else { return .absent }
        return current.waitsForDependents ? .waitingForDependents : .solid
    }

    /// kube's attemptToDeleteItem: all owners gone (or waiting for their dependents) → delete it;
    /// some gone while another stays → drop the references to the gone ones.
    func attemptToDelete(_ id: GraphObjectID, graph: GraphMonitors) async throws {
        guard let live = try await client.get(id.resource, namespace: id.namespace, name: id.name) else { return }
        let node = try GraphNode(json: live)
        if node.isBeingDeleted {
            if node.waitsForDependents { queue.add(.foreground(id)) }
            return
        }
        // No owners (any more, e.g. orphaned meanwhile): nothing to collect.
        guard !node.owners.isEmpty else { return }
        var absent: Set<String> = []
        var waiting: Set<String> = []
        var solid = 0
        for owner in node.owners {
            switch try await state(of: owner, dependentNamespace: id.namespace, graph: graph) {
            case .absent: absent.insert(owner.uid)
            case .waitingForDependents: waiting.insert(owner.uid)
            case .solid: solid += 1
            }
        }
        if solid > 0 {
            guard !absent.isEmpty || !waiting.isEmpty else { return }
            // Another owner keeps it: forget the dead owners, and stop blocking the ones being
            // deleted in Foreground so they need not wait for an object that stays.
            let references = (live["metadata"]["ownerReferences"].array ?? []).compactMap { reference -> JSON? in
                guard let uid = reference["uid"].string else { return reference }
                if absent.contains(uid) { return nil }
                var kept = reference
                if waiting.contains(uid) { kept["blockOwnerDeletion"] = false }
                return kept
            }
            var next = live
            next["metadata"]["ownerReferences"] = references.isEmpty ? .null : .array(references)
            _ = try await client.update(id.resource, namespace: id.namespace, next, fieldManager: Self.fieldManager)
            for owner in node.owners where waiting.contains(owner.uid) {
                if let ownerID = graph.id(of: owner, dependentNamespace: id.namespace) { queue.add(.foreground(ownerID)) }
            }
            return
        }
        let policy: PropagationPolicy
        if !waiting.isEmpty && !graph.dependents(of: node.uid).isEmpty {
            // An owner waits for it and it has dependents of its own: they go first too.
            policy = .foreground
        } else if node.finalizers.contains(PropagationPolicy.orphanFinalizer) {
            policy = .orphan
        } else if node.finalizers.contains(PropagationPolicy.foregroundFinalizer) {
            policy = .foreground
        } else {
            policy = .background
        }
        logger.debug("garbage collecting", metadata: ["object": "\(id)", "policy": "\(policy.rawValue)"])
        do {
            try await client.delete(id.resource, namespace: id.namespace, name: id.name, options: DeleteOptions(uid: node.uid, propagationPolicy: policy))
        } catch let error as APIError where error.code == 404 || error.code == 409 {
            // Gone already, or replaced by a new object of the same name (whose own events queue it).
        }
    }

    /// Orphan: removes the owner from every dependent, then the `orphan` finalizer from the owner.
    func orphanDependents(of id: GraphObjectID, graph: GraphMonitors) async throws {
        guard let live = try await client.get(id.resource, namespace: id.namespace, name: id.name) else { return }
        let owner = try GraphNode(json: live)
        guard owner.waitsForOrphaning else { return }
        for dependent in try await graph.liveDependents(of: owner.uid, namespace: id.namespace, client: client) {
            guard let current = try await client.get(dependent.id.resource, namespace: dependent.id.namespace, name: dependent.id.name) else { continue }
            let references = current["metadata"]["ownerReferences"].array ?? []
            let kept = references.filter { $0["uid"].string != owner.uid }
            guard kept.count != references.count else { continue }
            var next = current
            next["metadata"]["ownerReferences"] = kept.isEmpty ? .null : .array(kept)
            do {
                _ = try await client.update(dependent.id.resource, namespace: dependent.id.namespace, next, fieldManager: Self.fieldManager)
            } catch let error as APIError where error.code == 404 {
                continue  // deleted meanwhile: nothing left to orphan
            }
        }
        try await removeFinalizer(PropagationPolicy.orphanFinalizer, from: live, id: id)
    }

    /// Foreground: deletes the dependents; drops `foregroundDeletion` once none that blocks is
    /// left. The deletion of each blocking dependent queues this again.
    func deleteDependentsFirst(of id: GraphObjectID, graph: GraphMonitors) async throws {
        guard let live = try await client.get(id.resource, namespace: id.namespace, name: id.name) else { return }
        let owner = try GraphNode(json: live)
        guard owner.waitsForDependents else { return }
        if enqueueDependents(graph.dependents(of: owner.uid), of: owner.uid) { return }
        // The caches may not have seen a dependent created just before the delete: the owner
        // goes only when the API too has no blocking dependent.
        if enqueueDependents(try await graph.liveDependents(of: owner.uid, namespace: id.namespace, client: client), of: owner.uid) { return }
        try await removeFinalizer(PropagationPolicy.foregroundFinalizer, from: live, id: id)
    }

    /// Queues the deletion of each dependent not yet being deleted; returns whether one of them
    /// blocks the owner's deletion.
    private func enqueueDependents(_ dependents: [(id: GraphObjectID, node: GraphNode)], of uid: String) -> Bool {
        var blocking = false
        for dependent in dependents {
            guard let reference = dependent.node.owners.first(where: { $0.uid == uid }) else { continue }
            if reference.blockOwnerDeletion { blocking = true }
            if !dependent.node.isBeingDeleted { queue.add(.attemptToDelete(dependent.id)) }
        }
        return blocking
    }

    /// Writes `live` without `finalizer`; the API removes an object being deleted once its last
    /// finalizer is gone. Its resourceVersion makes this a compare-and-swap (a 409 retries).
    private func removeFinalizer(_ finalizer: String, from live: JSON, id: GraphObjectID) async throws {
        let finalizers = (live["metadata"]["finalizers"].array ?? []).filter { $0.string != finalizer }
        var next = live
        next["metadata"]["finalizers"] = finalizers.isEmpty ? .null : .array(finalizers)
        do {
            _ = try await client.update(id.resource, namespace: id.namespace, next, fieldManager: Self.fieldManager)
        } catch let error as APIError where error.code == 404 {
            // Gone already.
        }
    }
}
