/// An apps/v1 DaemonSet as its controller reads it: which pods are its own, the template it
/// stamps onto every eligible node, and how a template change rolls out.
public struct DaemonSet: Sendable, Equatable, KubeObject {
    /// How a changed template reaches the nodes.
    public enum UpdateStrategy: Sendable, Equatable {
        /// Replace pods node by node: at most `maxUnavailable` nodes without an available pod,
        /// or (with `maxSurge` set) at most `maxSurge` nodes running an old and a new pod at once.
        case rollingUpdate(maxUnavailable: IntOrString, maxSurge: IntOrString)
        /// New pods only where the user deleted the old ones.
        case onDelete
    }

    /// The object as stored, for writing its status back.
    public let json: JSON
    public let metadata: ObjectMeta
    public let selector: LabelSelector
    public let template: PodTemplate
    public let updateStrategy: UpdateStrategy
    public let minReadySeconds: Int
    public let revisionHistoryLimit: Int
    /// `status.collisionCount`: bumped when two templates hash alike, to tell their revisions apart.
    public let collisionCount: Int32?

    public init(json: JSON) throws(JSONShapeError) {
        self.json = json
        let root = JSONField(json)
        metadata = try root.field("metadata", default: ObjectMeta.empty)
        let spec = JSONField(try root.field("spec", default: JSON.emptyObject), path: "spec")
        selector = try spec.workloadSelector("selector")
        template = try PodTemplate(json: JSONField(try spec.field("template", default: JSON.emptyObject), path: "spec.template"))
        let strategy = json["spec"]["updateStrategy"]
        if strategy["type"].string == "OnDelete" {
            updateStrategy = .onDelete
        } else {
            let rolling = JSONField(strategy["rollingUpdate"].isNull ? JSON.emptyObject : strategy["rollingUpdate"], path: "spec.updateStrategy.rollingUpdate")
            updateStrategy = .rollingUpdate(
                maxUnavailable: try rolling.optional("maxUnavailable") ?? .int(1), maxSurge: try rolling.optional("maxSurge") ?? .int(0))
        }
        minReadySeconds = try spec.field("minReadySeconds", default: 0)
        revisionHistoryLimit = try spec.field("revisionHistoryLimit", default: 10)
        let status = JSONField(try root.field("status", default: JSON.emptyObject), path: "status")
        collisionCount = try status.optional("collisionCount")
    }

    public var key: String { metadata.key }
    public var generation: Int64 { metadata.generation ?? 0 }
    public var observedGeneration: Int64? { json["status"]["observedGeneration"].int }
}
