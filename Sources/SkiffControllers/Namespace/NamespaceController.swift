import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffClient

/// kube-controller-manager's namespace controller: a deleted namespace is `Terminating` (it has a
/// deletionTimestamp and keeps the `kubernetes` finalizer in `spec.finalizers`); this controller
/// deletes every object in it, of every namespaced kind discovery lists (custom ones too), waits
/// until they are really gone (pods stop on their nodes first, other finalizers run), reports
/// what remains in the namespace's `NamespaceContentRemaining` condition, and finally drops its
/// finalizer through `namespaces/NAME/finalize`, which removes the namespace.
public final class NamespaceController: Service, Sendable {
    /// The finalizer in `spec.finalizers` this controller removes once the namespace is empty.
    public static let finalizer = "kubernetes"
    public static let fieldManager = "namespace-controller"

    let client: any ControllerClient
    let namespaces: Informer<ObjectMeta>
    let logger: Logger
    let workers: SyncWorkers
    /// How soon a namespace whose content is still going away is looked at again.
    let recheckInterval: Duration

    public init(client: any ControllerClient, logger: Logger, recheckInterval: Duration = .seconds(1)) {
        self.client = client
        var logger = logger
        logger[metadataKey: "controller"] = "namespace"
        self.logger = logger
        self.recheckInterval = recheckInterval
        namespaces = Informer(client: client, resourcePath: APIResource.namespaces.collectionPath, logger: logger) { json in
            try ObjectMeta(json: JSONField(json["metadata"], path: "metadata"))
        }
        let workers = SyncWorkers(name: "namespace controller", workers: 2, logger: logger)
        self.workers = workers
        namespaces.addHandler { change in
            switch change {
            case .added(let namespace), .updated(_, let namespace):
                if namespace.deletionTimestamp != nil { workers.enqueue(namespace.name) }
            case .deleted:
                break
            }
        }
    }

    public func run() async {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.namespaces.run() }
                group.addTask {
                    await self.namespaces.waitForSync()
                    await self.workers.run { name in try await self.sync(name) }
                }
            }
        }
    }

    /// Empties the namespace `name` if it is being deleted; finalizes it once nothing is left.
    func sync(_ name: String) async throws {
        guard let namespace = try await client.get(.namespaces, namespace: "", name: name), !namespace["metadata"]["deletionTimestamp"].isNull,
            (namespace["spec"]["finalizers"].array ?? []).contains(.string(Self.finalizer))
        else { return }
        let remaining = try await deleteContent(of: name)
        var current = namespace
        let conditions = Self.conditions(remaining: remaining, previous: namespace["status"]["conditions"])
        if conditions != namespace["status"]["conditions"].array ?? [] {
            var next = namespace
            next["status"]["conditions"] = .array(conditions)
            current = try await client.update(.namespaceStatus, namespace: "", next, fieldManager: Self.fieldManager)
        }
        guard remaining.isEmpty else {
            // Pods stopping on their nodes and other finalizers announce nothing here: look again.
            workers.queue.add(name, after: recheckInterval)
            return
        }
        var finalized = current
        let finalizers = (current["spec"]["finalizers"].array ?? []).filter { $0.string != Self.finalizer }
        finalized["spec"]["finalizers"] = finalizers.isEmpty ? .null : .array(finalizers)
        _ = try await client.finalizeNamespace(finalized)
        logger.debug("namespace finalized", metadata: ["namespace": "\(name)"])
    }

    /// Deletes every object left in the namespace that is not yet being deleted; returns how many
    /// objects of each kind (`pods`, `deployments.apps`) are still there.
    func deleteContent(of namespace: String) async throws -> [String: Int] {
        var remaining: [String: Int] = [:]
        var seen: Set<String> = []
        for served in try await client.servedResources() where served.namespaced && served.verbs.isSuperset(of: ["list", "delete"]) {
            // One version of each resource: the others list the same objects.
            guard served.resource.subresource == nil, seen.insert(served.qualifiedPlural).inserted else { continue }
            let list: JSON
            do {
                list = try await client.list(served.resource.collectionPath(namespace: namespace))
            } catch let error as APIError where error.code == 404 {
                continue  // no longer served
            }
            for item in list["items"].array ?? [] {
                remaining[served.qualifiedPlural, default: 0] += 1
                guard item["metadata"]["deletionTimestamp"].isNull, let name = item["metadata"]["name"].string else { continue }
                do {
                    try await client.delete(served.resource, namespace: namespace, name: name, options: DeleteOptions(uid: item["metadata"]["uid"].string))
                } catch let error as APIError where error.code == 404 || error.code == 409 {
                    continue  // changed meanwhile; the next pass sees it
                }
            }
        }
        return remaining
    }

    /// `NamespaceContentRemaining` as Kubernetes words it; the timestamp moves only on change.
    static func conditions(remaining: [String: Int], previous: JSON) -> [JSON] {
        let message =
            remaining.isEmpty
            ? "All content successfully removed"
            : "Some resources are remaining: "
                + remaining.keys.sorted().map { "\($0) has \(remaining[$0] ?? 0) resource instances" }.joined(separator: ", ")
        let status = remaining.isEmpty ? "False" : "True"
        let others = (previous.array ?? []).filter { $0["type"].string != "NamespaceContentRemaining" }
        let old = (previous.array ?? []).first { $0["type"].string == "NamespaceContentRemaining" }
        if let old, old["status"].string == status, old["message"].string == message { return others + [old] }
        let time = old.flatMap { $0["status"].string == status ? $0["lastTransitionTime"].string : nil } ?? Timestamp.now()
        return others + [
            [
                "type": "NamespaceContentRemaining", "status": .string(status), "lastTransitionTime": .string(time),
                "reason": remaining.isEmpty ? "ContentRemoved" : "SomeResourcesRemain", "message": .string(message),
            ]
        ]
    }
}
