/// An apps/v1 Deployment as its controller reads it, decoded once with the API's defaults
/// (25 % surge and unavailability, 10 revisions kept, a 600 s progress deadline). `json` keeps the
/// stored object for the writes that send it back changed.
public struct Deployment: KubeObject, Equatable {
    public static let apiVersion = "apps/v1"
    public static let kind = "Deployment"

    /// The label a Deployment's ReplicaSets and their pods carry: the template's hash, which
    /// keeps one revision's pods out of another's selector.
    public static let templateHashLabel = "pod-template-hash"
    /// The revision number of a ReplicaSet (and of the Deployment: its newest).
    public static let revisionAnnotation = "deployment.kubernetes.io/revision"
    /// Earlier revision numbers a ReplicaSet had, when a rollback made it the newest again.
    public static let revisionHistoryAnnotation = "deployment.kubernetes.io/revision-history"
    /// On a ReplicaSet: the Deployment's replicas when it was last scaled.
    public static let desiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas"
    /// On a ReplicaSet: the Deployment's replicas plus its surge when it was last scaled.
    public static let maxReplicasAnnotation = "deployment.kubernetes.io/max-replicas"
    /// Annotations of the Deployment its ReplicaSets do not copy (the controller's own, and
    /// kubectl apply's record of the Deployment).
    public static let annotationsNotCopied: Set<String> = [
        "kubectl.kubernetes.io/last-applied-configuration", revisionAnnotation, revisionHistoryAnnotation, desiredReplicasAnnotation,
        maxReplicasAnnotation, "deprecated.deployment.rollback.to",
    ]

    public let json: JSON
    public let metadata: ObjectMeta
    public let spec: Spec
    public let status: Status

    public enum Strategy: Sendable, Equatable {
        /// Every old pod goes before any new one starts.
        case recreate
        /// New pods replace old ones a few at a time: at most `maxSurge` above the replicas, at
        /// most `maxUnavailable` below (counts, or percentages of the replicas).
        case rollingUpdate(maxSurge: IntOrString, maxUnavailable: IntOrString)
    }

    public struct Spec: Sendable, Equatable, JSONDecodable {
        public let replicas: Int32
        public let selector: LabelSelector
        public let template: PodTemplate
        public let strategy: Strategy
        public let minReadySeconds: Int32
        /// Old ReplicaSets (scaled to zero) kept for rollbacks; nil keeps all.
        public let revisionHistoryLimit: Int32?
        public let paused: Bool
        /// How long a rollout may go without progress before Progressing turns False.
        public let progressDeadlineSeconds: Int32?

        public init(json: JSONField) throws(JSONShapeError) {
            replicas = try json.field("replicas", default: 1)
            selector = try json.workloadSelector("selector")
            template = try PodTemplate(json: JSONField(try json.field("template", default: JSON.emptyObject), path: "spec.template"))
            let strategy = JSONField(try json.field("strategy", default: JSON.emptyObject), path: "spec.strategy")
            if try strategy.field("type", default: "RollingUpdate") == "Recreate" {
                self.strategy = .recreate
            } else {
                let rolling = JSONField(try strategy.field("rollingUpdate", default: JSON.emptyObject), path: "spec.strategy.rollingUpdate")
                self.strategy = .rollingUpdate(
                    maxSurge: try rolling.field("maxSurge", default: .string("25%")),
                    maxUnavailable: try rolling.field("maxUnavailable", default: .string("25%")))
            }
            minReadySeconds = try json.field("minReadySeconds", default: 0)
            revisionHistoryLimit = try json.field("revisionHistoryLimit", default: 10)
            paused = try json.field("paused", default: false)
            progressDeadlineSeconds = try json.field("progressDeadlineSeconds", default: 600)
        }

        /// maxSurge in pods (0 for Recreate).
        public var maxSurge: Int32 {
            guard case .rollingUpdate(let surge, let unavailable) = strategy else { return 0 }
            return Self.fenceposts(surge: surge, unavailable: unavailable, replicas: replicas).surge
        }

        /// maxUnavailable in pods (0 for Recreate), never above the replicas.
        public var maxUnavailable: Int32 {
            guard case .rollingUpdate(let surge, let unavailable) = strategy else { return 0 }
            return min(replicas, Self.fenceposts(surge: surge, unavailable: unavailable, replicas: replicas).unavailable)
        }

        /// Surge rounds up, unavailability down; both zero would forbid any progress, so one pod may
        /// then be unavailable (kube-controller-manager's ResolveFenceposts).
        static func fenceposts(surge: IntOrString, unavailable: IntOrString, replicas: Int32) -> (surge: Int32, unavailable: Int32) {
            let surge = max(0, surge.scaled(against: replicas, roundUp: true) ?? 0)
            let unavailable = max(0, unavailable.scaled(against: replicas, roundUp: false) ?? 0)
            return (surge, surge == 0 && unavailable == 0 ? 1 : unavailable)
        }
    }

    /// What the controller reports; written whole through the status subresource.
    public struct Status: Sendable, Equatable, JSONDecodable, JSONEncodable {
        public var observedGeneration: Int64 = 0
        /// Pods of all its ReplicaSets (not terminated, not being deleted).
        public var replicas: Int32 = 0
        /// Pods of the newest ReplicaSet.
        public var updatedReplicas: Int32 = 0
        public var readyReplicas: Int32 = 0
        public var availableReplicas: Int32 = 0
        public var unavailableReplicas: Int32 = 0
        /// Bumped when the template's hash names a ReplicaSet with another template.
        public var collisionCount: Int32?
        public var conditions: [WorkloadCondition] = []

        public init() {}

        public init(json: JSONField) throws(JSONShapeError) {
            observedGeneration = try json.field("observedGeneration", default: 0)
            replicas = try json.field("replicas", default: 0)
            updatedReplicas = try json.field("updatedReplicas", default: 0)
            readyReplicas = try json.field("readyReplicas", default: 0)
            availableReplicas = try json.field("availableReplicas", default: 0)
            unavailableReplicas = try json.field("unavailableReplicas", default: 0)
            collisionCount = try json.optional("collisionCount")
            conditions = try json.field("conditions", default: [])
        }

        public var json: JSON {
            func number(_ value: Int32) -> JSON { .int(Int64(value)) }
            return JSON(omittingNils: [
                ("observedGeneration", .int(observedGeneration)), ("replicas", number(replicas)), ("updatedReplicas", number(updatedReplicas)),
                ("readyReplicas", number(readyReplicas)), ("availableReplicas", number(availableReplicas)),
                ("unavailableReplicas", number(unavailableReplicas)), ("collisionCount", collisionCount.map(number)),
                ("conditions", conditions.isEmpty ? nil : conditions.json),
            ])
        }
    }

    public init(json: JSON) throws(JSONShapeError) {
        let root = JSONField(json)
        self.json = json
        metadata = try root.field("metadata", default: ObjectMeta.empty)
        spec = try Spec(json: JSONField(try root.field("spec", default: JSON.emptyObject), path: "spec"))
        status = try root.field("status", default: Status())
    }

    public var key: String { metadata.key }

    /// The owner reference its ReplicaSets carry.
    public var ownerReference: Pod.OwnerReference {
        Pod.OwnerReference(apiVersion: Self.apiVersion, kind: Self.kind, name: metadata.name, uid: metadata.uid)
    }

    /// The object with `status` in place of its own, for `PUT …/deployments/NAME/status`.
    public func withStatus(_ status: Status) -> JSON {
        var json = json
        json["status"] = status.json
        return json
    }

    /// The object with its revision annotation set, for an update that still requires this resourceVersion.
    public func withRevision(_ revision: String) -> JSON {
        var json = json
        json["metadata"]["annotations"][Self.revisionAnnotation] = .string(revision)
        return json
    }

    /// Whether a ReplicaSet's template is this Deployment's, its pod-template-hash label aside.
    /// Compared as Kubernetes compares the typed templates: a null, an empty object and an empty
    /// list are the same as no field (kubectl's rollout undo sends `creationTimestamp: null` and
    /// `resources: {}` in the template it copies from a ReplicaSet).
    public func templateMatches(_ replicaSet: ReplicaSet) -> Bool {
        func withoutHash(_ template: PodTemplate) -> JSON {
            var json = template.json
            json["metadata"]["labels"][Self.templateHashLabel] = .null
            return Self.withoutEmptyFields(json)
        }
        return withoutHash(replicaSet.spec.template) == withoutHash(spec.template)
    }

    /// `json` without null, `{}` and `[]` members, at every depth.
    static func withoutEmptyFields(_ json: JSON) -> JSON {
        switch json {
        case .object(let fields):
            var kept: [String: JSON] = [:]
            for (key, value) in fields {
                let value = withoutEmptyFields(value)
                if value != .null && value != .emptyObject && value != .array([]) { kept[key] = value }
            }
            return .object(kept)
        case .array(let elements): return .array(elements.map(withoutEmptyFields))
        default: return json
        }
    }

    /// A new ReplicaSet for the template, named `<deployment>-<hash>`: the template labelled with
    /// the hash, the selector narrowed to it, the Deployment as controller, `annotations` set.
    public func newReplicaSet(hash: String, replicas: Int32, annotations: [String: String]) -> JSON {
        var template = spec.template.json
        template["metadata"]["labels"][Self.templateHashLabel] = .string(hash)
        var selector = json["spec"]["selector"]
        selector["matchLabels"][Self.templateHashLabel] = .string(hash)
        var labels = spec.template.labels
        labels[Self.templateHashLabel] = hash
        return [
            "apiVersion": .string(ReplicaSet.apiVersion), "kind": .string(ReplicaSet.kind),
            "metadata": [
                "name": .string("\(metadata.name)-\(hash)"), "namespace": .string(metadata.namespace), "labels": JSON(stringMap: labels),
                "annotations": JSON(stringMap: annotations), "ownerReferences": [ownerReference.json],
            ],
            "spec": [
                "replicas": .int(Int64(replicas)), "minReadySeconds": .int(Int64(spec.minReadySeconds)), "selector": selector, "template": template,
            ],
        ]
    }
}
