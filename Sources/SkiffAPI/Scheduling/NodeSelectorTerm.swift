/// One `nodeSelectorTerms` entry of a required node affinity: label expressions and
/// `metadata.name` field expressions, all of which must hold (terms are ORed by their user).
public struct NodeSelectorTerm: Sendable, Equatable {
    public struct Expression: Sendable, Equatable {
        public let key: String
        public let op: String
        public let values: [String]
    }

    public let labelExpressions: [Expression]
    public let fieldExpressions: [Expression]

    public init(_ term: JSON) {
        func parse(_ list: JSON) -> [Expression] {
            (list.array ?? []).map {
                Expression(key: $0["key"].string ?? "", op: $0["operator"].string ?? "", values: ($0["values"].array ?? []).compactMap(\.string))
            }
        }
        labelExpressions = parse(term["matchExpressions"])
        fieldExpressions = parse(term["matchFields"])
    }

    /// The terms of `spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution` of a pod spec.
    public static func required(inPodSpec spec: JSON) -> [NodeSelectorTerm] {
        (spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"].array ?? []).map(NodeSelectorTerm.init)
    }

    /// Whether a node with these labels and name satisfies the term (an empty term matches nothing).
    public func matches(labels: [String: String], nodeName: String) -> Bool {
        if labelExpressions.isEmpty && fieldExpressions.isEmpty { return false }
        for expression in labelExpressions where !Self.evaluate(expression, labels[expression.key]) { return false }
        for expression in fieldExpressions where !Self.evaluate(expression, expression.key == "metadata.name" ? nodeName : nil) { return false }
        return true
    }

    static func evaluate(_ expression: Expression, _ value: String?) -> Bool {
        switch expression.op {
        case "In": return value.map(expression.values.contains) ?? false
        case "NotIn": return value.map { !expression.values.contains($0) } ?? true
        case "Exists": return value != nil
        case "DoesNotExist": return value == nil
        case "Gt", "Lt":
            guard let value, let number = Int64(value), let bound = expression.values.first.flatMap({ Int64($0) }) else { return false }
            return expression.op == "Gt" ? number > bound : number < bound
        default: return false
        }
    }
}
