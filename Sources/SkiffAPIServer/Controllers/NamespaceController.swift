import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffStore

/// Kubernetes' namespace controller, in process: a deleted namespace is `Terminating` (it has a
/// deletionTimestamp and keeps the `kubernetes` finalizer in `spec.finalizers`); this controller
/// deletes every namespaced object in it, waits until they are really gone (pods stop on their
/// nodes first, other finalizers run), reports what remains in the namespace's conditions, and
/// finally drops the finalizer, which removes the namespace.
public struct NamespaceController: Service {
    /// The finalizer in `spec.finalizers` that keeps a namespace until it is empty.
    static let finalizer = "kubernetes"
    /// Namespaces Kubernetes refuses to delete.
    static let undeletable: Set<String> = ["default", "kube-system", "kube-public"]

    let api: KubeAPI
    let logger: Logger
    /// How often terminating namespaces are checked again while their content goes away.
    let interval: Duration

    public init(api: KubeAPI, logger: Logger, interval: Duration = .seconds(1)) {
        self.api = api
        self.logger = logger
        self.interval = interval
    }

    public func run() async throws {
        await ControllerInput.runRestarting("namespace controller", logger: logger, interval: interval, runOnce)
    }

    /// One run until the store ends its watches; `run()` adds restarts and graceful shutdown.
    public func runOnce() async throws {
        let store = api.store
        let prefix = CoreResources.namespace.prefix(namespace: nil)
        let revision = try await store.currentRevision()
        var terminating: Set<String> = []
        for item in try await ControllerInput.listAll(store: store, prefix: prefix, revision: revision) {
            if let namespace = try? api.decode(item), !namespace["metadata"]["deletionTimestamp"].isNull {
                terminating.insert(namespace["metadata"]["name"].string ?? "")
            }
        }
        let inputs = try await ControllerInput.stream(store: store, prefix: prefix, after: revision, tick: interval)
        await sync(&terminating)
        for await input in inputs {
            if case .event(let event) = input, let namespace = try? api.decode(event.value, revision: event.revision),
                let name = namespace["metadata"]["name"].string
            {
                if event.kind != .deleted && !namespace["metadata"]["deletionTimestamp"].isNull {
                    terminating.insert(name)
                } else {
                    terminating.remove(name)
                }
            }
            await sync(&terminating)
        }
    }

    func sync(_ terminating: inout Set<String>) async {
        for name in terminating.sorted() {
            do {
                if try await empty(name) { terminating.remove(name) }
            } catch {
                logger.debug("namespace deletion retries later", metadata: ["namespace": "\(name)", "error": "\(error)"])
            }
        }
    }

    /// Deletes what is left in the namespace; when nothing is, finalizes it. Returns whether the
    /// namespace is done (gone).
    func empty(_ name: String) async throws -> Bool {
        var remaining: [String: Int] = [:]
        for definition in api.registry.definitions where definition.namespaced && !definition.readOnly && definition.conversion == nil {
            let items = try await api.store.list(prefix: definition.prefix(namespace: name), startAfter: nil, limit: nil, revision: nil)
            for stored in items.items {
                remaining[definition.naming.qualifiedPlural, default: 0] += 1
                let object = try api.decode(stored)
                guard object["metadata"]["deletionTimestamp"].isNull else { continue }
                let target = KubeAPI.Target(definition: definition, namespace: name, name: object["metadata"]["name"].string, subresource: nil)
                do {
                    _ = try await api.deleteObject(target, stored: stored, current: object, gracePeriod: nil)
                } catch let error as APIError where error.code == 404 || error.code == 409 {
                    continue  // changed meanwhile; the next pass sees it
                }
            }
        }
        return try await finalize(name, remaining: remaining)
    }

    /// With nothing remaining, drops the `kubernetes` finalizer (the namespace goes when no other
    /// finalizer holds it); otherwise records what remains, as Kubernetes' conditions do.
    func finalize(_ name: String, remaining: [String: Int]) async throws -> Bool {
        let target = KubeAPI.Target(definition: CoreResources.namespace, namespace: nil, name: name, subresource: nil)
        guard let stored = try await api.storeGet(CoreResources.namespace.key(namespace: nil, name: name)) else { return true }
        let namespace = try api.decode(stored)
        guard !namespace["metadata"]["deletionTimestamp"].isNull else { return true }
        var next = namespace
        if remaining.isEmpty {
            let finalizers = (namespace["spec"]["finalizers"].array ?? []).filter { $0.string != Self.finalizer }
            next["spec"]["finalizers"] = finalizers.isEmpty ? .null : .array(finalizers)
        }
        next["status"]["conditions"] = .array(Self.conditions(remaining: remaining, previous: namespace["status"]["conditions"]))
        if next != namespace {
            let written = try await api.writeDirectly(next, target: target, stored: stored)
            if written == nil { return true }
        }
        return remaining.isEmpty && (next["metadata"]["finalizers"].array ?? []).isEmpty
    }

    /// `NamespaceContentRemaining` as Kubernetes words it; the timestamp moves only on change.
    static func conditions(remaining: [String: Int], previous: JSON) -> [JSON] {
        let message =
            remaining.isEmpty
            ? "All content successfully removed"
            : "Some resources are remaining: " + remaining.keys.sorted().map { "\($0) has \(remaining[$0] ?? 0) resource instances" }.joined(separator: ", ")
        let status = remaining.isEmpty ? "False" : "True"
        let old = (previous.array ?? []).first { $0["type"].string == "NamespaceContentRemaining" }
        let time = old.flatMap { $0["status"].string == status ? $0["lastTransitionTime"].string : nil } ?? Timestamp.now()
        return [
            [
                "type": "NamespaceContentRemaining", "status": .string(status), "lastTransitionTime": .string(time),
                "reason": remaining.isEmpty ? "ContentRemoved" : "SomeResourcesRemain", "message": .string(message),
            ]
        ]
    }
}
