/// An autoscaling/v2 HorizontalPodAutoscaler as its controller reads it, with Kubernetes'
/// defaults for `behavior` applied here, once. (autoscaling/v1 objects are served converted to
/// this shape.)
public struct HorizontalPodAutoscaler: KubeObject, Equatable {
    public let metadata: ObjectMeta
    public let scaleTarget: CrossVersionObjectReference
    public let minReplicas: Int
    public let maxReplicas: Int
    public let metrics: [MetricSpec]
    public let scaleUp: ScalingRules
    public let scaleDown: ScalingRules
    /// The object as stored: the controller writes it back with a new status.
    public let json: JSON

    public init(json: JSON) throws(JSONShapeError) {
        self.json = json
        let root = JSONField(json)
        metadata = try root.field("metadata", default: ObjectMeta.empty)
        let spec = JSONField(try root.field("spec", default: JSON.emptyObject), path: "spec")
        scaleTarget = try spec.required("scaleTargetRef")
        minReplicas = try spec.field("minReplicas", default: 1)
        maxReplicas = try spec.required("maxReplicas")
        // No metrics means the default: 80 % average CPU utilization.
        let metrics = try spec.field("metrics", default: [MetricSpec]())
        self.metrics = metrics.isEmpty ? [MetricSpec(type: "Resource", resourceName: "cpu", target: .utilization(80))] : metrics
        let behavior = JSONField(try spec.field("behavior", default: JSON.emptyObject), path: "spec.behavior")
        scaleUp = try ScalingRules(json: behavior, key: "scaleUp", defaults: .defaultScaleUp)
        scaleDown = try ScalingRules(json: behavior, key: "scaleDown", defaults: .defaultScaleDown)
    }

    /// The status as stored, which the controller rewrites whole.
    public var status: JSON { json["status"] }

    public var key: String { metadata.key }
}

/// `scaleTargetRef`: the workload whose `scale` subresource the autoscaler drives.
public struct CrossVersionObjectReference: Sendable, Equatable, JSONDecodable {
    public let apiVersion: String
    public let kind: String
    public let name: String

    public init(json: JSONField) throws(JSONShapeError) {
        apiVersion = try json.field("apiVersion", default: "apps/v1")
        kind = try json.required("kind")
        name = try json.required("name")
    }
}

/// One entry of `spec.metrics`. Only `Resource` and `ContainerResource` metrics (cpu, memory from
/// the agents' stats) have a source here; other types are read so the controller can say so.
public struct MetricSpec: Sendable, Equatable, JSONDecodable {
    public enum Target: Sendable, Equatable {
        /// Percent of the pods' requests, averaged over the pods.
        case utilization(Int)
        /// An absolute value per pod (cpu in millicores, memory in bytes, as a quantity).
        case averageValue(Quantity)
        /// A target type this controller cannot compute for a resource metric (`Value`).
        case unsupported(String)
    }

    public let type: String
    /// `cpu` or `memory` for Resource and ContainerResource metrics.
    public let resourceName: String?
    /// The container a ContainerResource metric reads.
    public let container: String?
    public let target: Target?

    public init(type: String, resourceName: String, container: String? = nil, target: Target) {
        self.type = type
        self.resourceName = resourceName
        self.container = container
        self.target = target
    }

    public init(json: JSONField) throws(JSONShapeError) {
        type = try json.required("type")
        let sourceKey = type == "ContainerResource" ? "containerResource" : "resource"
        guard type == "Resource" || type == "ContainerResource" else {
            resourceName = nil
            container = nil
            target = nil
            return
        }
        let source = JSONField(try json.required(sourceKey, as: JSON.self), path: "\(json.path).\(sourceKey)")
        resourceName = try source.required("name")
        container = try source.optional("container")
        let target = JSONField(try source.required("target", as: JSON.self), path: "\(source.path).target")
        switch try target.required("type", as: String.self) {
        case "Utilization": self.target = .utilization(try target.required("averageUtilization"))
        case "AverageValue": self.target = .averageValue(try target.required("averageValue"))
        case let other: self.target = .unsupported(other)
        }
    }
}

/// `behavior.scaleUp` or `behavior.scaleDown`: how far one step may go and how long a
/// recommendation must hold before it is acted on.
public struct ScalingRules: Sendable, Equatable {
    public enum Select: String, Sendable, Equatable {
        case max = "Max"
        case min = "Min"
        case disabled = "Disabled"
    }

    public struct Policy: Sendable, Equatable {
        public enum Kind: String, Sendable, Equatable {
            case pods = "Pods"
            case percent = "Percent"
        }

        public let kind: Kind
        public let value: Int
        public let periodSeconds: Int

        public init(kind: Kind, value: Int, periodSeconds: Int) {
            self.kind = kind
            self.value = value
            self.periodSeconds = periodSeconds
        }
    }

    public let stabilizationWindowSeconds: Int
    public let select: Select
    public let policies: [Policy]

    public init(stabilizationWindowSeconds: Int, select: Select, policies: [Policy]) {
        self.stabilizationWindowSeconds = stabilizationWindowSeconds
        self.select = select
        self.policies = policies
    }

    /// Up: no stabilization; per 15 s, double or add 4 pods, whichever is more.
    public static let defaultScaleUp = ScalingRules(
        stabilizationWindowSeconds: 0, select: .max,
        policies: [Policy(kind: .percent, value: 100, periodSeconds: 15), Policy(kind: .pods, value: 4, periodSeconds: 15)])
    /// Down: the highest recommendation of the last 5 minutes; then anything down to the minimum.
    public static let defaultScaleDown = ScalingRules(
        stabilizationWindowSeconds: 300, select: .max, policies: [Policy(kind: .percent, value: 100, periodSeconds: 15)])

    /// Reads `behavior[key]`, each missing field from `defaults`.
    init(json behavior: JSONField, key: String, defaults: ScalingRules) throws(JSONShapeError) {
        guard let rules = try behavior.optional(key, as: JSON.self) else {
            self = defaults
            return
        }
        let field = JSONField(rules, path: "\(behavior.path).\(key)")
        stabilizationWindowSeconds = try field.field("stabilizationWindowSeconds", default: defaults.stabilizationWindowSeconds)
        let select = try field.field("selectPolicy", default: defaults.select.rawValue)
        guard let parsed = Select(rawValue: select) else { throw field.error("selectPolicy: unsupported value \"\(select)\"") }
        self.select = parsed
        var policies: [Policy] = []
        for (index, policy) in (try field.field("policies", default: [JSON]())).enumerated() {
            let entry = JSONField(policy, path: "\(field.path).policies[\(index)]")
            let kind = try entry.required("type", as: String.self)
            guard let parsedKind = Policy.Kind(rawValue: kind) else { throw entry.error("type: unsupported value \"\(kind)\"") }
            policies.append(Policy(kind: parsedKind, value: try entry.required("value"), periodSeconds: try entry.required("periodSeconds")))
        }
        self.policies = policies.isEmpty ? defaults.policies : policies
    }
}

/// The `autoscaling/v1` Scale subresource of a workload: the replicas it wants and has, and the
/// selector of its pods.
public struct Scale: Sendable, Equatable {
    public let metadata: ObjectMeta
    public let replicas: Int
    public let currentReplicas: Int
    public let selector: LabelSelector

    public init(json: JSON) throws {
        let root = JSONField(json)
        metadata = try root.field("metadata", default: ObjectMeta.empty)
        replicas = try JSONField(json["spec"], path: "spec").field("replicas", default: 0)
        let status = JSONField(json["status"].isNull ? JSON.emptyObject : json["status"], path: "status")
        currentReplicas = try status.field("replicas", default: 0)
        selector = try LabelSelector(parsing: try status.field("selector", default: ""))
    }
}
