/// A coordination.k8s.io/v1 Lease: an agent's heartbeat in `kube-node-lease` (named after its
/// Node), or a leader election's lock.
public struct Lease: Sendable, Equatable, KubeObject {
    public let metadata: ObjectMeta
    public let holderIdentity: String?
    public let leaseDurationSeconds: Int64?
    /// When the holder last renewed it (RFC 3339 with microseconds).
    public let renewTime: String?
    public let acquireTime: String?
    public let leaseTransitions: Int64?

    /// The namespace of the Nodes' heartbeat Leases.
    public static let nodeLeaseNamespace = "kube-node-lease"

    public init(json: JSON) throws(JSONShapeError) {
        let root = JSONField(json)
        metadata = try root.field("metadata", default: ObjectMeta.empty)
        let spec = JSONField(try root.field("spec", default: JSON.emptyObject), path: "spec")
        holderIdentity = try spec.optional("holderIdentity")
        leaseDurationSeconds = try spec.optional("leaseDurationSeconds")
        renewTime = try spec.optional("renewTime")
        acquireTime = try spec.optional("acquireTime")
        leaseTransitions = try spec.optional("leaseTransitions")
    }
}
