/// The `metadata` every object carries, for the typed models other than Pod (which reads its own
/// for the agent's hot path). Cluster-scoped objects have an empty `namespace`.
public struct ObjectMeta: Sendable, Equatable, JSONDecodable {
    public let name: String
    public let namespace: String
    public let uid: String
    public let resourceVersion: String?
    public let generation: Int64?
    public let labels: [String: String]
    public let annotations: [String: String]
    /// Set once a graceful deletion has begun (RFC 3339).
    public let deletionTimestamp: String?
    public let ownerReferences: [Pod.OwnerReference]
    /// When the server stored the object (RFC 3339); controllers order their pods by it.
    public let creationTimestamp: String?

    public init(json: JSONField) throws(JSONShapeError) {
        name = try json.field("name", default: "")
        namespace = try json.field("namespace", default: "")
        uid = try json.field("uid", default: "")
        resourceVersion = try json.optional("resourceVersion")
        generation = try json.optional("generation")
        labels = try json.field("labels", default: [:])
        annotations = try json.field("annotations", default: [:])
        deletionTimestamp = try json.optional("deletionTimestamp")
        ownerReferences = try json.field("ownerReferences", default: [])
        creationTimestamp = try json.optional("creationTimestamp")
    }

    public init(
        name: String, namespace: String = "", uid: String = "", resourceVersion: String? = nil, generation: Int64? = nil,
        labels: [String: String] = [:], annotations: [String: String] = [:], deletionTimestamp: String? = nil,
        ownerReferences: [Pod.OwnerReference] = [], creationTimestamp: String? = nil
    ) {
        self.name = name
        self.namespace = namespace
        self.uid = uid
        self.resourceVersion = resourceVersion
        self.generation = generation
        self.labels = labels
        self.annotations = annotations
        self.deletionTimestamp = deletionTimestamp
        self.ownerReferences = ownerReferences
        self.creationTimestamp = creationTimestamp
    }

    /// `namespace/name` for namespaced objects, `name` for cluster-scoped ones: client-go's cache key.
    public var key: String { namespace.isEmpty ? name : "\(namespace)/\(name)" }

    /// Whether a graceful deletion has begun.
    public var isBeingDeleted: Bool { deletionTimestamp != nil }

    public static let empty = ObjectMeta(name: "")
}
