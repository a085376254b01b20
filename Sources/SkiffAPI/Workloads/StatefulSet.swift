/// An apps/v1 StatefulSet as its controller reads it: pods with stable ordinal names, each with
/// its own claims from `volumeClaimTemplates`, made, replaced and removed in ordinal order.
public struct StatefulSet: Sendable, Equatable, KubeObject {
    public enum PodManagementPolicy: String, Sendable, Equatable {
        /// One pod at a time, each Running and Ready before the next; scale down from the top.
        case orderedReady = "OrderedReady"
        /// All at once, in either direction.
        case parallel = "Parallel"
    }

    public enum UpdateStrategy: Sendable, Equatable {
        /// Replace the pods with ordinals ≥ `partition`, highest first, at most
        /// `maxUnavailable` of them unavailable at a time.
        case rollingUpdate(partition: Int, maxUnavailable: IntOrString)
        /// New pods only where the user deleted the old ones.
        case onDelete
    }

    /// What happens to the claims of pods the StatefulSet no longer has.
    public enum ClaimRetention: String, Sendable, Equatable {
        case retain = "Retain"
        /// The garbage collector deletes them, through an owner reference on the claim.
        case delete = "Delete"
    }

    /// The object as stored, for writing its status back.
    public let json: JSON
    public let metadata: ObjectMeta
    public let replicas: Int
    public let selector: LabelSelector
    public let template: PodTemplate
    /// The headless Service whose DNS names the pods' `hostname.subdomain` fill in.
    public let serviceName: String
    public let podManagementPolicy: PodManagementPolicy
    public let updateStrategy: UpdateStrategy
    public let minReadySeconds: Int
    public let revisionHistoryLimit: Int
    /// `spec.volumeClaimTemplates`, each a PersistentVolumeClaim with a name.
    public let volumeClaimTemplates: [JSON]
    /// `persistentVolumeClaimRetentionPolicy.whenDeleted` and `.whenScaled`.
    public let whenDeleted: ClaimRetention
    public let whenScaled: ClaimRetention
    /// `spec.ordinals.start`: the first pod's ordinal.
    public let ordinalStart: Int
    public let currentRevision: String?
    public let updateRevision: String?
    public let collisionCount: Int32?

    public init(json: JSON) throws(JSONShapeError) {
        self.json = json
        let root = JSONField(json)
        metadata = try root.field("metadata", default: ObjectMeta.empty)
        let spec = JSONField(try root.field("spec", default: JSON.emptyObject), path: "spec")
        replicas = try spec.field("replicas", default: 1)
        selector = try spec.workloadSelector("selector")
        template = try PodTemplate(json: JSONField(try spec.field("template", default: JSON.emptyObject), path: "spec.template"))
        serviceName = try spec.field("serviceName", default: "")
        podManagementPolicy = PodManagementPolicy(rawValue: try spec.field("podManagementPolicy", default: "OrderedReady")) ?? .orderedReady
        let strategy = json["spec"]["updateStrategy"]
        if strategy["type"].string == "OnDelete" {
            updateStrategy = .onDelete
        } else {
            let rolling = JSONField(strategy["rollingUpdate"].isNull ? JSON.emptyObject : strategy["rollingUpdate"], path: "spec.updateStrategy.rollingUpdate")
            updateStrategy = .rollingUpdate(
                partition: try rolling.field("partition", default: 0), maxUnavailable: try rolling.optional("maxUnavailable") ?? .int(1))
        }
        minReadySeconds = try spec.field("minReadySeconds", default: 0)
        revisionHistoryLimit = try spec.field("revisionHistoryLimit", default: 10)
        volumeClaimTemplates = json["spec"]["volumeClaimTemplates"].array ?? []
        let retention = json["spec"]["persistentVolumeClaimRetentionPolicy"]
        whenDeleted = retention["whenDeleted"].string.flatMap(ClaimRetention.init) ?? .retain
        whenScaled = retention["whenScaled"].string.flatMap(ClaimRetention.init) ?? .retain
        ordinalStart = try JSONField(json["spec"]["ordinals"].isNull ? JSON.emptyObject : json["spec"]["ordinals"], path: "spec.ordinals").field(
            "start", default: 0)
        let status = JSONField(try root.field("status", default: JSON.emptyObject), path: "status")
        currentRevision = try status.optional("currentRevision")
        updateRevision = try status.optional("updateRevision")
        collisionCount = try status.optional("collisionCount")
    }

    public var key: String { metadata.key }
    public var generation: Int64 { metadata.generation ?? 0 }

    /// The name of the pod with `ordinal`.
    public func podName(ordinal: Int) -> String { "\(metadata.name)-\(ordinal)" }

    /// The ordinal in a pod name of this StatefulSet, nil for any other name.
    public func ordinal(ofPod name: String) -> Int? {
        let prefix = metadata.name + "-"
        guard name.hasPrefix(prefix), let ordinal = Int(name.dropFirst(prefix.count)), ordinal >= 0, podName(ordinal: ordinal) == name else { return nil }
        return ordinal
    }

    /// The claim of `template` (a volumeClaimTemplate's name) for the pod with `ordinal`.
    public func claimName(template: String, ordinal: Int) -> String { "\(template)-\(metadata.name)-\(ordinal)" }
}
