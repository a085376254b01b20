import SkiffAPI
import SkiffClient

extension APIResource {
    public static let replicaSets = APIResource(group: "apps", plural: "replicasets")
    public static let replicaSetStatus = APIResource(group: "apps", plural: "replicasets", subresource: "status")
    public static let deployments = APIResource(group: "apps", plural: "deployments")
    public static let deploymentStatus = APIResource(group: "apps", plural: "deployments", subresource: "status")
}

extension SharedInformers {
    public var replicaSets: Informer<ReplicaSet> { informer(.replicaSets) { try ReplicaSet(json: $0) } }
    public var deployments: Informer<Deployment> { informer(.deployments) { try Deployment(json: $0) } }
}
