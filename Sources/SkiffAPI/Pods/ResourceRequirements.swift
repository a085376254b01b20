/// A container's `resources`: requests and limits by resource name (`cpu`, `memory`...).
public struct ResourceRequirements: Sendable, Equatable, JSONDecodable {
    public let requests: [String: Quantity]
    public let limits: [String: Quantity]

    public static let empty = ResourceRequirements(requests: [:], limits: [:])

    public init(requests: [String: Quantity], limits: [String: Quantity]) {
        self.requests = requests
        self.limits = limits
    }

    public init(json: JSONField) throws(JSONShapeError) {
        requests = try json.field("requests", default: [:])
        limits = try json.field("limits", default: [:])
    }

    /// The quantity a `resourceFieldRef` names, `limits.cpu` or `requests.memory`.
    public func quantity(_ reference: String) -> Quantity? {
        let parts = reference.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return nil }
        switch parts[0] {
        case "requests": return requests[parts[1]]
        case "limits": return limits[parts[1]]
        default: return nil
        }
    }
}
