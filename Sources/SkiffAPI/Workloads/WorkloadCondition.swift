/// One entry of a workload's `status.conditions` (ReplicaSet, Deployment): `lastUpdateTime` moves
/// whenever the controller restates the condition, `lastTransitionTime` only when its status flips.
public struct WorkloadCondition: Sendable, Equatable, JSONDecodable, JSONEncodable {
    public var type: String
    /// "True", "False" or "Unknown".
    public var status: String
    public var reason: String?
    public var message: String?
    public var lastUpdateTime: String?
    public var lastTransitionTime: String?

    public init(
        type: String, status: String, reason: String? = nil, message: String? = nil, lastUpdateTime: String? = nil, lastTransitionTime: String? = nil
    ) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
        self.lastUpdateTime = lastUpdateTime
        self.lastTransitionTime = lastTransitionTime
    }

    public init(json: JSONField) throws(JSONShapeError) {
        type = try json.required("type")
        status = try json.field("status", default: "Unknown")
        reason = try json.optional("reason")
        message = try json.optional("message")
        lastUpdateTime = try json.optional("lastUpdateTime")
        lastTransitionTime = try json.optional("lastTransitionTime")
    }

    public var json: JSON {
        JSON(omittingNils: [
            ("type", .string(type)), ("status", .string(status)), ("reason", reason.map(JSON.string)), ("message", message.map(JSON.string)),
            ("lastUpdateTime", lastUpdateTime.map(JSON.string)), ("lastTransitionTime", lastTransitionTime.map(JSON.string)),
        ])
    }
}

extension Array where Element == WorkloadCondition {
    /// The condition of `type`, if set.
    public func condition(_ type: String) -> WorkloadCondition? { first { $0.type == type } }

    /// Sets `condition` in place of the one of its type. An unchanged status and reason keep the
    /// old transition time (kube-controller-manager's SetDeploymentCondition), so restating a
    /// condition does not make it look new.
    public mutating func set(_ condition: WorkloadCondition) {
        var condition = condition
        if let current = self.condition(condition.type) {
            if current.status == condition.status && current.reason == condition.reason { return }
            if current.status == condition.status { condition.lastTransitionTime = current.lastTransitionTime }
        }
        removeAll { $0.type == condition.type }
        append(condition)
    }

    /// Removes the condition of `type`.
    public mutating func remove(_ type: String) { removeAll { $0.type == type } }
}
