/// One object the garbage collector acts on, by resource type and name; its uid is checked
/// against the live object when the work runs.
public struct GraphObjectID: Sendable, Hashable, CustomStringConvertible {
    public let resource: APIResource
    /// "" for cluster-scoped objects.
    public let namespace: String
    public let name: String

    public init(resource: APIResource, namespace: String, name: String) {
        self.resource = resource
        self.namespace = namespace
        self.name = name
    }

    public var description: String { "\(resource.plural).\(resource.group)/\(namespace.isEmpty ? "" : namespace + "/")\(name)" }
}

/// A key of the garbage collector's work queue: kube-controller-manager's attemptToDelete and
/// attemptToOrphan queues in one, with Foreground's wait for dependents as its own item.
public enum GarbageCollectorWork: Sendable, Hashable {
    /// Check a dependent's owners; delete it when none is left, or drop the references to the
    /// owners that are gone.
    case attemptToDelete(GraphObjectID)
    /// An owner deleted with Orphan: strip it from its dependents, then drop its `orphan` finalizer.
    case orphan(GraphObjectID)
    /// An owner deleted with Foreground: delete its dependents, then drop `foregroundDeletion`
    /// once no dependent that blocks it is left.
    case foreground(GraphObjectID)
}
