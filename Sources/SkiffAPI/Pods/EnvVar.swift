/// One entry of a container's `env`: a literal value (with `$(VAR)` references) or a value
/// taken from the pod's fields, the container's resources, a ConfigMap or a Secret.
public struct EnvVar: Sendable, Equatable, JSONDecodable {
    public let name: String
    public let value: String
    public let valueFrom: Source?

    public init(json: JSONField) throws(JSONShapeError) {
        name = try json.required("name")
        value = try json.field("value", default: "")
        valueFrom = try json.optional("valueFrom")
    }

    /// `valueFrom`: exactly one source.
    public enum Source: Sendable, Equatable, JSONDecodable {
        /// A downward API field such as `metadata.name` or `status.podIP`.
        case fieldRef(fieldPath: String)
        case resourceFieldRef(ResourceFieldSelector)
        case configMapKeyRef(KeySelector)
        case secretKeyRef(KeySelector)

        public init(json: JSONField) throws(JSONShapeError) {
            if let field = try json.optional("fieldRef", as: FieldSelector.self) {
                self = .fieldRef(fieldPath: field.fieldPath)
            } else if let resource = try json.optional("resourceFieldRef", as: ResourceFieldSelector.self) {
                self = .resourceFieldRef(resource)
            } else if let key = try json.optional("configMapKeyRef", as: KeySelector.self) {
                self = .configMapKeyRef(key)
            } else if let key = try json.optional("secretKeyRef", as: KeySelector.self) {
                self = .secretKeyRef(key)
            } else {
                throw json.error("valueFrom needs one of fieldRef, resourceFieldRef, configMapKeyRef or secretKeyRef")
            }
        }
    }

    struct FieldSelector: JSONDecodable {
        let fieldPath: String

        init(json: JSONField) throws(JSONShapeError) {
            fieldPath = try json.required("fieldPath")
        }
    }

    /// A container resource (`limits.memory`) in units of `divisor` (default 1), rounded up.
    public struct ResourceFieldSelector: Sendable, Equatable, JSONDecodable {
        public let containerName: String?
        public let resource: String
        public let divisor: Quantity

        public init(json: JSONField) throws(JSONShapeError) {
            containerName = try json.optional("containerName")
            resource = try json.required("resource")
            divisor = try json.field("divisor", default: Quantity(milliValue: 1000))
        }
    }

    /// One key of a ConfigMap or Secret; an optional one may be missing.
    public struct KeySelector: Sendable, Equatable, JSONDecodable {
        public let name: String
        public let key: String
        public let optional: Bool

        public init(json: JSONField) throws(JSONShapeError) {
            name = try json.field("name", default: "")
            key = try json.required("key")
            optional = try json.field("optional", default: false)
        }
    }
}
