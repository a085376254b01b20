import Foundation
import SkiffAPI
import SkiffAPIServer
import SkiffClient
import SkiffControllers

/// The controllers' API client inside the server process: informers list and watch, and
/// controllers write, through `KubeAPI`'s in-process calls, which run a request's validation,
/// admission and field ownership but skip serializing every object only to parse it back. It
/// acts with the server's own authority, as kube-controller-manager does with its credentials.
public struct InProcessControllerClient: ControllerClient {
    let api: KubeAPI

    public init(api: KubeAPI) { self.api = api }

    /// A collection path as informers give it (`/api/v1/pods?watch=true&…`, `/apis/g/v/plural`,
    /// with `/namespaces/<ns>/` or not) split into what the in-process calls take.
    struct CollectionPath: Equatable {
        var resource: APIResource
        var namespace: String?
        var query: [String: String]

        init(_ path: String) throws {
            let parts = path.split(separator: "?", maxSplits: 1).map(String.init)
            var segments = parts[0].split(separator: "/").map(String.init)
            var query: [String: String] = [:]
            for pair in (parts.count > 1 ? parts[1] : "").split(separator: "&") {
                let keyValue = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
                query[keyValue[0]] = keyValue.count > 1 ? keyValue[1] : ""
            }
            self.query = query
            let group: String
            switch segments.first {
            case "api" where segments.count >= 3:
                group = ""
                segments.removeFirst()
            case "apis" where segments.count >= 4:
                group = segments[1]
                segments.removeFirst(2)
            default: throw APIError.badRequest("not a collection path: \(path)")
            }
            let version = segments.removeFirst()
            if segments.count == 3, segments[0] == "namespaces" {
                namespace = segments[1]
                segments.removeFirst(2)
            }
            guard segments.count == 1 else { throw APIError.badRequest("not a collection path: \(path)") }
            resource = APIResource(group: group, version: version, plural: segments[0])
        }
    }

    public func list(_ path: String) async throws -> JSON {
        let target = try CollectionPath(path)
        return try await api.listInProcess(
            group: target.resource.group, version: target.resource.version, plural: target.resource.plural, namespace: target.namespace,
            query: target.query)
    }

    public func watch(_ path: String, onEvent: @Sendable (WatchEvent) async throws -> Void) async throws {
        var target = try CollectionPath(path)
        target.query["watch"] = nil
        let session = try await api.openWatchInProcess(
            group: target.resource.group, version: target.resource.version, plural: target.resource.plural, namespace: target.namespace,
            query: target.query)
        switch session {
        case .expired(let status):
            // The 410 a client reads as an ERROR event; the informer relists.
            try await onEvent(WatchEvent(type: "ERROR", object: status))
        case .open(let run):
            // `run` returns only when the watch has ended, so `onEvent` never outlives this call.
            try await withoutActuallyEscaping(onEvent) { onEvent in
                try await run { type, object in try await onEvent(WatchEvent(type: type, object: object)) }
            }
        }
    }

    public func get(_ resource: APIResource, namespace: String, name: String) async throws -> JSON? {
        try await api.getInProcess(
            group: resource.group, version: resource.version, plural: resource.plural, subresource: resource.subresource,
            namespace: Self.scope(namespace), name: name)
    }

    public func create(_ resource: APIResource, namespace: String, _ object: JSON, fieldManager: String) async throws -> JSON {
        try await api.createInProcess(
            object, group: resource.group, version: resource.version, plural: resource.plural, namespace: Self.scope(namespace),
            fieldManager: fieldManager)
    }

    public func update(_ resource: APIResource, namespace: String, _ object: JSON, fieldManager: String) async throws -> JSON {
        if resource.subresource == "scale" {
            return try await api.updateScaleInProcess(
                object, group: resource.group, version: resource.version, plural: resource.plural, namespace: namespace,
                name: object["metadata"]["name"].string ?? "")
        }
        return try await api.updateInProcess(
            object, group: resource.group, version: resource.version, plural: resource.plural, subresource: resource.subresource,
            namespace: Self.scope(namespace),
            fieldManager: fieldManager)
    }

    public func delete(_ resource: APIResource, namespace: String, name: String, options: DeleteOptions) async throws {
        _ = try await api.deleteInProcess(
            group: resource.group, version: resource.version, plural: resource.plural, namespace: Self.scope(namespace), name: name,
            uid: options.uid, resourceVersion: options.resourceVersion, propagation: options.propagationPolicy ?? .background,
            gracePeriod: options.gracePeriodSeconds)
    }

    public func finalizeNamespace(_ namespace: JSON) async throws -> JSON {
        try await api.finalizeNamespaceInProcess(namespace)
    }

    /// Every kind once: a kind also served at another version (autoscaling/v1's view of the
    /// stored autoscaling/v2 HorizontalPodAutoscalers) is the same objects, so it is left out.
    public func servedResources() async throws -> [ServedResource] {
        api.registry.definitions.filter { $0.conversion == nil }.map { definition in
            ServedResource(
                resource: APIResource(group: definition.naming.group, version: definition.naming.version, plural: definition.plural),
                kind: definition.kind, namespaced: definition.namespaced, verbs: Set(definition.verbs))
        }
    }

    /// Cluster-scoped objects (nodes, namespaces) are addressed with the namespace "".
    static func scope(_ namespace: String) -> String? { namespace.isEmpty ? nil : namespace }

    public func createEvent(namespace: String, _ event: JSON) async throws {
        _ = try await create(.events, namespace: namespace, event, fieldManager: event["source"]["component"].string ?? "skiff-controllers")
    }
}
