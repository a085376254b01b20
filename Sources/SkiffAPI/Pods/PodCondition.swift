/// One entry of `status.conditions`, kept whole so a patch can send it back.
public struct PodCondition: Sendable, Equatable, JSONDecodable, JSONEncodable {
    public var type: String
    /// "True", "False" or "Unknown".
    public var status: String
    public var reason: String?
    public var message: String?
    public var lastTransitionTime: String?
    public var lastProbeTime: String?

    public init(type: String, status: String, reason: String? = nil, message: String? = nil, lastTransitionTime: String? = nil, lastProbeTime: String? = nil) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
        self.lastTransitionTime = lastTransitionTime
        self.lastProbeTime = lastProbeTime
    }

    public init(json: JSONField) throws(JSONShapeError) {
        type = try json.required("type")
        status = try json.field("status", default: "Unknown")
        reason = try json.optional("reason")
        message = try json.optional("message")
        lastTransitionTime = try json.optional("lastTransitionTime")
        lastProbeTime = try json.optional("lastProbeTime")
    }

    /// `lastProbeTime` is always written (null when unset), as the kubelet does.
    public var json: JSON {
        JSON(omittingNils: [
            ("type", .string(type)), ("status", .string(status)), ("reason", reason.map(JSON.string)),
            ("message", message.map(JSON.string)), ("lastTransitionTime", lastTransitionTime.map(JSON.string)),
        ]).settingNull("lastProbeTime", to: lastProbeTime)
    }
}

extension JSON {
    fileprivate func settingNull(_ key: String, to value: String?) -> JSON {
        guard case .object(var fields) = self else { return self }
        fields[key] = value.map(JSON.string) ?? .null
        return .object(fields)
    }
}
