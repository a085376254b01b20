import SkiffAPI

/// What the garbage collector's graph keeps of any object: who it is, who owns it, and whether
/// it is being deleted and with which finalizers. Only metadata is decoded, so one informer type
/// serves every kind.
public struct GraphNode: Sendable, Equatable {
    /// One `ownerReferences` entry.
    public struct Owner: Sendable, Equatable, JSONDecodable {
        public let apiVersion: String
        public let kind: String
        public let name: String
        public let uid: String
        /// The owner in Foreground deletion waits for this dependent to be gone.
        public let blockOwnerDeletion: Bool

        public init(json: JSONField) throws(JSONShapeError) {
            apiVersion = try json.optional("apiVersion") ?? ""
            kind = try json.optional("kind") ?? ""
            name = try json.optional("name") ?? ""
            uid = try json.optional("uid") ?? ""
            blockOwnerDeletion = try json.optional("blockOwnerDeletion") ?? false
        }

        /// The API group of `apiVersion` ("" for the core group).
        public var group: String {
            guard let slash = apiVersion.firstIndex(of: "/") else { return "" }
            return String(apiVersion[..<slash])
        }
    }

    public let namespace: String
    public let name: String
    public let uid: String
    public let owners: [Owner]
    public let finalizers: [String]
    public let isBeingDeleted: Bool

    public init(json: JSON) throws(JSONShapeError) {
        let metadata = JSONField(try JSONField(json).optional("metadata") ?? JSON.emptyObject, path: "metadata")
        namespace = try metadata.optional("namespace") ?? ""
        name = try metadata.optional("name") ?? ""
        uid = try metadata.optional("uid") ?? ""
        owners = try metadata.optional("ownerReferences") ?? []
        finalizers = try metadata.optional("finalizers") ?? []
        isBeingDeleted = try metadata.optional("deletionTimestamp", as: String.self) != nil
    }

    /// Whether the object waits for the garbage collector to orphan its dependents.
    public var waitsForOrphaning: Bool { isBeingDeleted && finalizers.contains(PropagationPolicy.orphanFinalizer) }
    /// Whether the object waits for the garbage collector to delete its dependents first.
    public var waitsForDependents: Bool { isBeingDeleted && finalizers.contains(PropagationPolicy.foregroundFinalizer) }
}
