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
    /// Deletes the object as `DELETE` with `options` (preconditions, propagation, grace); a 404
    /// is an error too. An object with finalizers (or a pod that must stop first) is only marked.
    func delete(_ resource: APIResource, namespace: String, name: String, options: DeleteOptions) async throws
    /// `PUT /api/v1/namespaces/NAME/finalize`: sets `spec.finalizers` of the namespace `namespace`
    /// names (its `metadata.resourceVersion`, when set, must be current). A deleted namespace
    /// left without finalizers goes. Returns it as stored (or as it was last).
    func finalizeNamespace(_ namespace: JSON) async throws -> JSON
    /// Discovery: every resource type the server serves, with its kind, scope and verbs.
    func servedResources() async throws -> [ServedResource]
}

/// `DeleteOptions` a controller sends.
public struct DeleteOptions: Sendable, Hashable {
    /// Precondition: the object is still the one with this uid (409 otherwise).
    public var uid: String?
    /// Precondition: the object has not changed since this version (409 otherwise).
    public var resourceVersion: String?
    /// What becomes of the object's dependents; nil is the server's default (Background).
    public var propagationPolicy: PropagationPolicy?
    /// 0 deletes a pod at once instead of waiting for its node to stop it (a force delete).
    public var gracePeriodSeconds: Int64?

    public init(uid: String? = nil, resourceVersion: String? = nil, propagationPolicy: PropagationPolicy? = nil, gracePeriodSeconds: Int64? = nil) {
        self.uid = uid
        self.resourceVersion = resourceVersion
        self.propagationPolicy = propagationPolicy
        self.gracePeriodSeconds = gracePeriodSeconds
    }
}

/// One resource type as discovery lists it (`GET /api/v1`, `GET /apis/GROUP/VERSION`).
public struct ServedResource: Sendable, Hashable {
    public let resource: APIResource
    public let kind: String
    public let namespaced: Bool
    public let verbs: Set<String>

    public init(resource: APIResource, kind: String, namespaced: Bool, verbs: Set<String>) {
        self.resource = resource
        self.kind = kind
        self.namespaced = namespaced
        self.verbs = verbs
    }

    /// Whether it can be listed, watched and deleted: what a controller that manages every kind needs.
    public var isManageable: Bool { verbs.isSuperset(of: ["list", "watch", "delete"]) }

    /// `pods`, `deployments.apps`: how kubectl and the namespace conditions name it.
    public var qualifiedPlural: String { resource.group.isEmpty ? resource.plural : "\(resource.plural).\(resource.group)" }
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
    public static let namespaces = APIResource(plural: "namespaces")
    public static let namespaceStatus = APIResource(plural: "namespaces", subresource: "status")
    public static let pods = APIResource(plural: "pods")
    public static let endpoints = APIResource(plural: "endpoints")
    public static let events = APIResource(plural: "events")
    public static let serviceAccounts = APIResource(plural: "serviceaccounts")
    public static let configMaps = APIResource(plural: "configmaps")
    public static let endpointSlices = APIResource(group: "discovery.k8s.io", plural: "endpointslices")

    /// The collection in one namespace: `/api/v1/namespaces/NS/pods`.
    public func collectionPath(namespace: String) -> String {
        (group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)") + "/namespaces/\(namespace)/\(plural)"
    }

    /// `/api/v1/services` or `/apis/discovery.k8s.io/v1/endpointslices`: the collection across
    /// namespaces, as informers list and watch it.
    public var collectionPath: String { group.isEmpty ? "/api/\(version)/\(plural)" : "/apis/\(group)/\(version)/\(plural)" }

    /// `v1` or `discovery.k8s.io/v1`.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
}

extension ControllerClient {
    /// Deletes the object if it is still the one with `uid` (when given), with the default propagation.
    public func delete(_ resource: APIResource, namespace: String, name: String, uid: String?) async throws {
        try await delete(resource, namespace: namespace, name: name, options: DeleteOptions(uid: uid))
    }

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

extension ControllerClient {
    /// Writes `status` into `object` through `resource` (a status subresource) unless the stored
    /// status already says that, so a sync that changes nothing writes nothing. Returns whether
    /// it wrote.
    @discardableResult
    public func updateStatus(_ resource: APIResource, of object: JSON, to status: JSON, namespace: String, fieldManager: String) async throws -> Bool {
        guard status != object["status"] else { return false }
        var updated = object
        updated["status"] = status
        _ = try await update(resource, namespace: namespace, updated, fieldManager: fieldManager)
        return true
    }
}
