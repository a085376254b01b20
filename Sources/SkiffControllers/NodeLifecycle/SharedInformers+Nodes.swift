import SkiffAPI
import SkiffClient

extension APIResource {
    public static let leases = APIResource(group: "coordination.k8s.io", plural: "leases")
    public static let nodeStatus = APIResource(plural: "nodes", subresource: "status")
    public static let podStatus = APIResource(plural: "pods", subresource: "status")
}

extension SharedInformers {
    /// Every Lease: the agents' heartbeats in kube-node-lease (and leader-election locks).
    public var leases: Informer<Lease> { informer(.leases) { try Lease(json: $0) } }
}
