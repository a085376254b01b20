import SkiffAPI

/// A policy/v1 PodDisruptionBudget as the disruption controller reads it.
public struct PodDisruptionBudget: KubeObject, Sendable {
    public let metadata: ObjectMeta
    /// Nil when empty or invalid: such a budget selects no pods (as in Kubernetes).
    public let selector: LabelSelector?
    public let minAvailable: JSON
    public let maxUnavailable: JSON
    public let json: JSON

    public init(json: JSON) throws(JSONShapeError) {
        metadata = try ObjectMeta(json: JSONField(json["metadata"], path: "metadata"))
        let parsed = try? LabelSelector(object: json["spec"]["selector"])
        selector = (parsed?.isEmpty ?? true) ? nil : parsed
        minAvailable = json["spec"]["minAvailable"]
        maxUnavailable = json["spec"]["maxUnavailable"]
        self.json = json
    }

    public var key: String { metadata.key }
}
