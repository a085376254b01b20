/// An apps/v1 ReplicaSet as the ReplicaSet and Deployment controllers read it, decoded once with
/// the API's defaults. `json` keeps the stored object for the writes that send it back changed.
public struct ReplicaSet: KubeObject, Equatable {
    public static let apiVersion = "apps/v1"
    public static let kind = "ReplicaSet"

    public let json: JSON
    public let metadata: ObjectMeta
    public let spec: Spec
    public let status: Status

    public struct Spec: Sendable, Equatable, JSONDecodable {
        public let replicas: Int32
        /// How long a pod must have been ready to count as available.
        public let minReadySeconds: Int32
        public let selector: LabelSelector
        public let template: PodTemplate

        public init(json: JSONField) throws(JSONShapeError) {
            replicas = try json.field("replicas", default: 1)
            minReadySeconds = try json.field("minReadySeconds", default: 0)
            selector = try json.workloadSelector("selector")
            template = try PodTemplate(json: JSONField(try json.field("template", default: JSON.emptyObject), path: "spec.template"))
        }
    }

    /// What the controller reports; written whole through the status subresource.
    public struct Status: Sendable, Equatable, JSONDecodable, JSONEncodable {
        /// Pods the ReplicaSet has that are neither terminated nor being deleted.
        public var replicas: Int32 = 0
        /// Of those, the ones carrying every label of the template.
        public var fullyLabeledReplicas: Int32 = 0
        public var readyReplicas: Int32 = 0
        /// Ready for at least `minReadySeconds`.
        public var availableReplicas: Int32 = 0
        /// The `metadata.generation` these counts were computed for.
        public var observedGeneration: Int64 = 0
        public var conditions: [WorkloadCondition] = []

        public init() {}

        public init(json: JSONField) throws(JSONShapeError) {
            replicas = try json.field("replicas", default: 0)
            fullyLabeledReplicas = try json.field("fullyLabeledReplicas", default: 0)
            readyReplicas = try json.field("readyReplicas", default: 0)
            availableReplicas = try json.field("availableReplicas", default: 0)
            observedGeneration = try json.field("observedGeneration", default: 0)
            conditions = try json.field("conditions", default: [])
        }

        public var json: JSON {
            JSON(omittingNils: [
                ("replicas", .int(Int64(replicas))), ("fullyLabeledReplicas", .int(Int64(fullyLabeledReplicas))),
                ("readyReplicas", .int(Int64(readyReplicas))), ("availableReplicas", .int(Int64(availableReplicas))),
                ("observedGeneration", .int(observedGeneration)), ("conditions", conditions.isEmpty ? nil : conditions.json),
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

    /// Whether the controller has seen the latest spec (its status counts are for it).
    public var statusIsCurrent: Bool { status.observedGeneration >= (metadata.generation ?? 0) }

    /// The owner reference its pods carry.
    public var ownerReference: Pod.OwnerReference {
        Pod.OwnerReference(apiVersion: Self.apiVersion, kind: Self.kind, name: metadata.name, uid: metadata.uid)
    }

    /// The object with `status` in place of its own, for `PUT …/replicasets/NAME/status`.
    public func withStatus(_ status: Status) -> JSON {
        var json = json
        json["status"] = status.json
        return json
    }

    /// The object scaled to `replicas`, with `annotations` set (nil values removed), for an update
    /// that still requires this resourceVersion.
    public func updating(replicas: Int32? = nil, minReadySeconds: Int32? = nil, annotations: [String: String?] = [:]) -> JSON {
        var json = json
        if let replicas { json["spec"]["replicas"] = .int(Int64(replicas)) }
        if let minReadySeconds { json["spec"]["minReadySeconds"] = .int(Int64(minReadySeconds)) }
        if !annotations.isEmpty {
            var merged = metadata.annotations
            for (key, value) in annotations { merged[key] = value }
            json["metadata"]["annotations"] = merged.isEmpty ? .null : JSON(stringMap: merged)
        }
        return json
    }
}
