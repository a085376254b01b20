/// A networking.k8s.io/v1 NetworkPolicy as the agents enforce it, decoded once with Kubernetes'
/// defaults applied (`policyTypes`, a port's protocol) where the stored object lacks them.
public struct NetworkPolicy: Sendable, Equatable {
    public enum PolicyType: String, Sendable, Equatable, Hashable, CaseIterable {
        case ingress = "Ingress"
        case egress = "Egress"
    }

    public let metadata: ObjectMeta
    /// The pods of the policy's namespace it isolates; empty selects them all.
    public let podSelector: LabelSelector
    public let ingress: [NetworkPolicyRule]
    public let egress: [NetworkPolicyRule]
    /// The directions the selected pods are isolated in (defaulted, see `defaultPolicyTypes`).
    public let policyTypes: Set<PolicyType>

    public init(json: JSON) throws(JSONShapeError) {
        let root = JSONField(json)
        metadata = try root.field("metadata", default: ObjectMeta.empty)
        let spec = JSONField(try root.field("spec", default: JSON.emptyObject), path: "spec")
        let selector: JSON = try spec.field("podSelector", default: JSON.emptyObject)
        do {
            podSelector = try LabelSelector(object: selector)
        } catch {
            throw JSONShapeError(path: "spec.podSelector", problem: error.message)
        }
        ingress = try Self.rules(spec, "ingress", peersKey: "from")
        egress = try Self.rules(spec, "egress", peersKey: "to")
        let types: [String] = try spec.field("policyTypes", default: [])
        var parsed = Set<PolicyType>()
        for type in types {
            guard let value = PolicyType(rawValue: type) else {
                throw JSONShapeError(path: "spec.policyTypes", problem: "unsupported value \"\(type)\"")
            }
            parsed.insert(value)
        }
        policyTypes = types.isEmpty ? Set(Self.defaultPolicyTypes(hasEgressRules: !egress.isEmpty)) : parsed
    }

    public init(
        metadata: ObjectMeta, podSelector: LabelSelector = .everything, ingress: [NetworkPolicyRule] = [], egress: [NetworkPolicyRule] = [],
        policyTypes: Set<PolicyType>? = nil
    ) {
        self.metadata = metadata
        self.podSelector = podSelector
        self.ingress = ingress
        self.egress = egress
        self.policyTypes = policyTypes ?? Set(Self.defaultPolicyTypes(hasEgressRules: !egress.isEmpty))
    }

    public var key: String { metadata.key }

    /// Kubernetes' defaulting of an unset `policyTypes`: a policy always isolates its pods for
    /// ingress, and for egress only when it has egress rules (a policy written before egress
    /// existed must not start cutting its pods off). The API server stores this; the agents
    /// read objects that may predate it through the same function.
    public static func defaultPolicyTypes(hasEgressRules: Bool) -> [PolicyType] {
        hasEgressRules ? [.ingress, .egress] : [.ingress]
    }

    private static func rules(_ spec: JSONField, _ key: String, peersKey: String) throws(JSONShapeError) -> [NetworkPolicyRule] {
        let items: [JSON] = try spec.field(key, default: [])
        var rules: [NetworkPolicyRule] = []
        for (index, item) in items.enumerated() {
            rules.append(try NetworkPolicyRule(json: JSONField(item, path: "spec.\(key)[\(index)]"), peersKey: peersKey))
        }
        return rules
    }
}
