/// One entry of a container's `envFrom`: every key of a ConfigMap or Secret, with a prefix.
public struct EnvFromSource: Sendable, Equatable, JSONDecodable {
    public let prefix: String
    /// The ConfigMap's or Secret's name.
    public let name: String
    public let isSecret: Bool
    public let optional: Bool

    public init(json: JSONField) throws(JSONShapeError) {
        prefix = try json.field("prefix", default: "")
        let reference: JSONField
        if try json.has("secretRef") {
            isSecret = true
            reference = JSONField(json.value["secretRef"], path: json.path + ".secretRef")
        } else if try json.has("configMapRef") {
            isSecret = false
            reference = JSONField(json.value["configMapRef"], path: json.path + ".configMapRef")
        } else {
            throw json.error("envFrom needs configMapRef or secretRef")
        }
        name = try reference.required("name")
        optional = try reference.field("optional", default: false)
    }
}
