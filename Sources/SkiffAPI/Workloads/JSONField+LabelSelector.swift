extension JSONField {
    /// A workload's `spec.selector` (matchLabels and matchExpressions), which the API requires;
    /// a missing or malformed one is an error naming the field.
    func workloadSelector(_ key: String) throws(JSONShapeError) -> LabelSelector {
        let object: JSON = try required(key)
        do {
            return try LabelSelector(object: object)
        } catch {
            throw JSONShapeError(path: path.isEmpty ? key : "\(path).\(key)", problem: error.message)
        }
    }
}

extension IntOrString {
    /// maxSurge and maxUnavailable against `total` replicas: a count as is, a percentage rounded
    /// up (surge) or down (unavailable) as Kubernetes' intstr does; nil when it is neither.
    public func scaled(against total: Int32, roundUp: Bool) -> Int32? {
        switch self {
        case .int(let count): return count
        case .string(let text):
            guard text.hasSuffix("%"), let percent = Int64(text.dropLast()) else { return nil }
            let product = percent * Int64(total)
            let value = roundUp ? (product + 99) / 100 : product / 100
            return Int32(clamping: value)
        }
    }
}
