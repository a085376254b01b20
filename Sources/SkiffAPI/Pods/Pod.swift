/// A core/v1 Pod as a node runs it, decoded once from the API's JSON with Kubernetes' defaults
/// applied (see `PodSpec` and `Container`). Business logic reads the typed fields; `json` keeps
/// the object exactly as the API sent it, for what must go back unchanged (the node API's pod
/// list, the agent's saved state).
public struct Pod: Sendable, Equatable {
    /// The decoded fields, shared by every copy: informers hand out and controllers sort
    /// thousands of pods per sync, and a copy of the fields themselves retained each of their
    /// dozens of strings, dictionaries and arrays (most of a 10,000-pod ReplicaSet's sync).
    private final class Storage: Sendable {
        let fields: Fields
        init(_ fields: Fields) { self.fields = fields }
    }

    private struct Fields: Sendable, Equatable {
        var json: JSON
        let name: String
        let namespace: String
        let uid: String
        let resourceVersion: String?
        let generation: Int64?
        let labels: [String: String]
        let annotations: [String: String]
        let deletionTimestamp: String?
        let deletionGracePeriodSeconds: Int64?
        let ownerReferences: [OwnerReference]
        let spec: PodSpec
        var status: PodStatus
    }

    private let storage: Storage

    // The fields are read through `_read` accessors, which lend the boxed value in place: a
    // getter would copy it, retaining everything in a PodSpec to read one of its fields.

    /// The object as received; only `withStatus(of:)` changes it, to the status the server answered with.
    public var json: JSON { _read { yield storage.fields.json } }
    public var name: String { _read { yield storage.fields.name } }
    /// `metadata.namespace`; missing or empty means "default", as kubectl and the API server read it.
    public var namespace: String { _read { yield storage.fields.namespace } }
    public var uid: String { _read { yield storage.fields.uid } }
    public var resourceVersion: String? { _read { yield storage.fields.resourceVersion } }
    public var generation: Int64? { _read { yield storage.fields.generation } }
    public var labels: [String: String] { _read { yield storage.fields.labels } }
    public var annotations: [String: String] { _read { yield storage.fields.annotations } }
    /// Set once the pod is being deleted gracefully (RFC 3339).
    public var deletionTimestamp: String? { _read { yield storage.fields.deletionTimestamp } }
    public var deletionGracePeriodSeconds: Int64? { _read { yield storage.fields.deletionGracePeriodSeconds } }
    public var ownerReferences: [OwnerReference] { _read { yield storage.fields.ownerReferences } }
    public var spec: PodSpec { _read { yield storage.fields.spec } }
    public var status: PodStatus { _read { yield storage.fields.status } }

    public static func == (lhs: Pod, rhs: Pod) -> Bool { lhs.storage === rhs.storage || lhs.storage.fields == rhs.storage.fields }

    private init(fields: Fields) { storage = Storage(fields) }

    /// Decodes a pod; a wrong type or a container without a name is an error naming the field
    /// (`spec.containers[1].name: required field is missing`).
    public init(json: JSON) throws(JSONShapeError) {
        let root = JSONField(json)
        let metadata = JSONField(try root.field("metadata", default: JSON.emptyObject), path: "metadata")
        let name: String = try metadata.field("name", default: "")
        let namespace: String = try metadata.field("namespace", default: "")
        self.init(
            fields: Fields(
                json: json, name: name, namespace: namespace.isEmpty ? "default" : namespace,
                uid: try metadata.field("uid", default: ""), resourceVersion: try metadata.optional("resourceVersion"),
                generation: try metadata.optional("generation"), labels: try metadata.field("labels", default: [:]),
                annotations: try metadata.field("annotations", default: [:]), deletionTimestamp: try metadata.optional("deletionTimestamp"),
                deletionGracePeriodSeconds: try metadata.optional("deletionGracePeriodSeconds"),
                ownerReferences: try metadata.field("ownerReferences", default: []), spec: try root.field("spec", default: PodSpec.empty),
                status: try root.field("status", default: PodStatus.empty)))
    }

    /// Who a pod is, read field by field from an object that may not decode as a whole (a watch
    /// BOOKMARK, a DELETED pod, one with a bad spec): missing or wrongly typed fields read as empty.
    public static func identity(of json: JSON) -> Identity {
        let metadata = JSONField(json["metadata"], path: "metadata")
        func text(_ key: String) -> String? { (try? metadata.optional(key, as: String.self)) ?? nil }
        let namespace = text("namespace") ?? ""
        return Identity(
            namespace: namespace.isEmpty ? "default" : namespace, name: text("name") ?? "", uid: text("uid") ?? "",
            resourceVersion: text("resourceVersion"))
    }

    /// A pod's name, uid and version without the rest of it.
    public struct Identity: Sendable, Equatable {
        public let namespace: String
        public let name: String
        public let uid: String
        public let resourceVersion: String?

        public init(namespace: String, name: String, uid: String, resourceVersion: String?) {
            self.namespace = namespace
            self.name = name
            self.uid = uid
            self.resourceVersion = resourceVersion
        }
    }

    /// `namespace/name`, how logs and kubectl name a pod.
    public var key: String { "\(namespace)/\(name)" }

    /// Whether a graceful deletion has begun.
    public var isBeingDeleted: Bool { deletionTimestamp != nil }

    /// The same pod with the status the server now reports (after a status patch).
    public func replacingStatus(_ status: JSON) throws(JSONShapeError) -> Pod {
        var json = json
        json["status"] = status
        return try Pod(json: json)
    }

    /// This pod with `other`'s status: what a status patch's answer changes.
    public func withStatus(of other: Pod) -> Pod {
        var fields = storage.fields
        fields.json["status"] = other.json["status"]
        fields.status = other.status
        return Pod(fields: fields)
    }

    /// A reference to the object that owns this pod (a ReplicaSet, a Job...).
    public struct OwnerReference: Sendable, Equatable, JSONDecodable {
        public let apiVersion: String
        public let kind: String
        public let name: String
        public let uid: String
        public let controller: Bool
        /// Whether a foreground deletion of the owner waits for this object to go first.
        public let blockOwnerDeletion: Bool

        public init(json: JSONField) throws(JSONShapeError) {
            apiVersion = try json.field("apiVersion", default: "")
            kind = try json.field("kind", default: "")
            name = try json.field("name", default: "")
            uid = try json.field("uid", default: "")
            controller = try json.field("controller", default: false)
            blockOwnerDeletion = try json.field("blockOwnerDeletion", default: false)
        }

        public init(apiVersion: String, kind: String, name: String, uid: String, controller: Bool = true, blockOwnerDeletion: Bool = true) {
            self.apiVersion = apiVersion
            self.kind = kind
            self.name = name
            self.uid = uid
            self.controller = controller
            self.blockOwnerDeletion = blockOwnerDeletion
        }

        /// The reference as it is written into `metadata.ownerReferences`.
        public var json: JSON {
            [
                "apiVersion": .string(apiVersion), "kind": .string(kind), "name": .string(name), "uid": .string(uid),
                "controller": .bool(controller), "blockOwnerDeletion": .bool(blockOwnerDeletion),
            ]
        }
    }
}
