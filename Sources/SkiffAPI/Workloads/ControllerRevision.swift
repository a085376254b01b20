/// An apps/v1 ControllerRevision: one immutable snapshot of a DaemonSet's or StatefulSet's
/// template, numbered, which `kubectl rollout history|undo` reads and applies back.
public struct ControllerRevision: Sendable, Equatable, KubeObject {
    public let metadata: ObjectMeta
    /// The snapshot as a strategic merge patch of its owner: `{"spec":{"template":{…,"$patch":"replace"}}}`.
    public let data: JSON
    public let revision: Int64

    /// The label naming the revision's hash, on the revision and on the pods made from it.
    public static let hashLabel = "controller-revision-hash"

    public init(json: JSON) throws(JSONShapeError) {
        let root = JSONField(json)
        metadata = try root.field("metadata", default: ObjectMeta.empty)
        data = json["data"]
        revision = try root.field("revision", default: 0)
    }

    /// The revision data of a workload whose template is `template`, as Kubernetes records it.
    public static func data(template: PodTemplate) -> JSON {
        var replaced = template.json
        replaced["$patch"] = "replace"
        return ["spec": ["template": replaced]]
    }

    /// The hash label's value (the name's suffix).
    public var hash: String? { metadata.labels[Self.hashLabel] }
}

extension ControllerRevision {
    /// The template this revision recorded (its data without the patch directive).
    public var template: PodTemplate? {
        var template = data["spec"]["template"]
        guard template.object != nil else { return nil }
        template["$patch"] = .null
        return try? PodTemplate(json: template)
    }
}
