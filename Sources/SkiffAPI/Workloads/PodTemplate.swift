/// A workload's `spec.template`: the pod its controller stamps out. The template stays JSON (it
/// is written back to the API as a pod, unchanged); what controllers decide on is typed.
public struct PodTemplate: Sendable, Equatable, JSONDecodable {
    /// The template as stored, `metadata` and `spec`.
    public let json: JSON
    public let labels: [String: String]
    public let annotations: [String: String]

    public init(json field: JSONField) throws(JSONShapeError) {
        json = field.value
        let metadata = JSONField(try field.field("metadata", default: JSON.emptyObject), path: "\(field.path).metadata")
        labels = try metadata.field("labels", default: [:])
        annotations = try metadata.field("annotations", default: [:])
    }

    public init(json: JSON) throws(JSONShapeError) { try self.init(json: JSONField(json, path: "spec.template")) }

    /// The `pod-template-hash` label value Deployments and DaemonSets name their revisions by: a
    /// 32-bit FNV-1a hash of the template (and the collision count that disambiguates two
    /// templates with the same hash), spelled in the consonant-and-digit alphabet Kubernetes uses
    /// for generated names so it never forms words.
    public func hash(collisionCount: Int32? = nil) -> String {
        var hash: UInt32 = 2_166_136_261
        func mix(_ bytes: some Sequence<UInt8>) {
            for byte in bytes {
                hash ^= UInt32(byte)
                hash = hash &* 16_777_619
            }
        }
        mix(json.bytes)
        if let collisionCount { mix(String(collisionCount).utf8) }
        return ObjectNames.safeEncode(String(hash))
    }

    /// A pod for `owner` from this template: the template's metadata and spec, the owner as
    /// controller, named `generateName` plus a random suffix (or `name`), in `namespace`.
    public func pod(
        owner: Pod.OwnerReference, namespace: String, generateName: String? = nil, name: String? = nil, extraLabels: [String: String] = [:]
    )
        -> JSON
    {
        var metadata = json["metadata"].isNull ? JSON.emptyObject : json["metadata"]
        // Setting null removes a field: what identifies the template's object is not the pod's.
        for field in ["name", "generateName", "namespace", "uid", "resourceVersion", "creationTimestamp", "ownerReferences"] {
            metadata[field] = .null
        }
        if let name { metadata["name"] = .string(name) } else if let generateName { metadata["generateName"] = .string(generateName) }
        metadata["namespace"] = .string(namespace)
        var labels = labels
        for (key, value) in extraLabels { labels[key] = value }
        if !labels.isEmpty { metadata["labels"] = .object(labels.mapValues { .string($0) }) }
        metadata["ownerReferences"] = [owner.json]
        return ["apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": json["spec"]]
    }
}
