/// An API object a controller reads from an informer: what every kind shares, so informer
/// factories can index any of them by namespace and by controlling owner.
public protocol KubeObject: Sendable {
    var metadata: ObjectMeta { get }
}

extension ObjectMeta {
    /// The owner reference with `controller: true`: the one object that manages this one.
    public var controllerRef: Pod.OwnerReference? { ownerReferences.first { $0.controller } }

    /// Whether `uid` is among the owners.
    public func isOwned(by uid: String) -> Bool { ownerReferences.contains { $0.uid == uid } }
}

extension KubeService: KubeObject {}
extension EndpointSlice: KubeObject {}
extension KubeEndpoints: KubeObject {}
extension KubeNode: KubeObject {}

extension Pod: KubeObject {
    /// The pod's metadata in the shape the other kinds carry it (the pod decodes its own fields
    /// for the agent's hot path).
    public var metadata: ObjectMeta {
        ObjectMeta(
            name: name, namespace: namespace, uid: uid, resourceVersion: resourceVersion, generation: generation, labels: labels,
            annotations: annotations, deletionTimestamp: deletionTimestamp, ownerReferences: ownerReferences,
            creationTimestamp: json["metadata"]["creationTimestamp"].string)
    }

    /// The owner reference with `controller: true`.
    public var controllerRef: Pod.OwnerReference? { ownerReferences.first { $0.controller } }
}
