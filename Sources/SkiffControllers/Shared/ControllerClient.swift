import SkiffAPI
import SkiffClient

/// What the controllers need from the API server: the informers' list and watch, the writes they
/// make (each under its own field manager, so `managedFields` says which controller owns what),
/// and events. The control plane's in-process client conforms; tests use fakes.
public protocol ControllerClient: ListWatchClient, EventWriter {
    /// The object, or nil when there is none.
    func get(_ resource: APIResource, namespace: String, name: String) async throws -> JSON?
    /// Creates `object` (named, or with `metadata.generateName`); returns it as stored.
    func create(_ resource: APIResource, namespace: String, _ object: JSON, fieldManager: String) async throws -> JSON
    /// Replaces the object `object` names; its `metadata.resourceVersion`, when set, must still
    /// be current (a 409 Conflict otherwise). Returns it as stored.
    func update(_ resource: APIResource, namespace: String, _ object: JSON, fieldManager: String) async throws -> JSON
    /// Deletes the object if it is still the one with `uid` (when given); a 404 is an error too.
    func delete(_ resource: APIResource, namespace: String, name: String, uid: String?) async throws
}

/// A resource type as the API addresses it.
public struct APIResource: Sendable, Hashable {
    public let group: String
    public let version: String
    public let plural: String
    /// "status" to write only an object's status (`PUT …/services/NAME/status`).
    public let subresource: String?

    public init(group: String = "", version: String = "v1", plural: String, subresource: String? = nil) {
        self.group = group
        self.version = version
        self.plural = plural
        self.subresource = subresource
    }

    public static let services = APIResource(plural: "services")
    public static let serviceStatus = APIResource(plural: "services", subresource: "status")
    public static let nodes = APIResource(plural: "nodes")
    public static let pods = APIResource(plural: "pods")
    public static let endpoints = APIResource(plural: "endpoints")
    public static let events = APIResource(plural: "events")
    public static let endpointSlices = APIResource(group: "discovery.k8s.io", plural: "endpointslices")

    /// `/api/v1/services` or `/apis/discovery.k8s.io/v1/endpointslices`: the collection across
    /// namespaces, as informers list and watch it.
    public var collectionPath: String { group.isEmpty ? "/api/\(version)/\(plural)" : "/apis/\(group)/\(version)/\(plural)" }

    /// `v1` or `discovery.k8s.io/v1`.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
}

extension ControllerClient {
    /// Creates an EndpointSlice (the controller names it with `generateName`).
    public func createEndpointSlice(_ slice: JSON, namespace: String, fieldManager: String) async throws -> JSON {
        try await create(.endpointSlices, namespace: namespace, slice, fieldManager: fieldManager)
    }

    public func updateEndpointSlice(_ slice: JSON, namespace: String, fieldManager: String) async throws -> JSON {
        try await update(.endpointSlices, namespace: namespace, slice, fieldManager: fieldManager)
    }

    public func deleteEndpointSlice(namespace: String, name: String, uid: String?) async throws {
        try await delete(.endpointSlices, namespace: namespace, name: name, uid: uid)
    }

    public func createEndpoints(_ endpoints: JSON, namespace: String, fieldManager: String) async throws -> JSON {
        try await create(.endpoints, namespace: namespace, endpoints, fieldManager: fieldManager)
    }

    public func updateEndpoints(_ endpoints: JSON, namespace: String, fieldManager: String) async throws -> JSON {
        try await update(.endpoints, namespace: namespace, endpoints, fieldManager: fieldManager)
    }

    public func deleteEndpoints(namespace: String, name: String, uid: String?) async throws {
        try await delete(.endpoints, namespace: namespace, name: name, uid: uid)
    }
}
