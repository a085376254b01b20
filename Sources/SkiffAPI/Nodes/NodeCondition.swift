/// One entry of a Node's `status.conditions` (Ready, MemoryPressure, DiskPressure, PIDPressure…),
/// kept whole so a writer can send it back.
public struct NodeCondition: Sendable, Equatable, JSONDecodable, JSONEncodable {
    public var type: String
    /// "True", "False" or "Unknown".
    public var status: String
    public var reason: String?
    public var message: String?
    /// When the agent last reported it (RFC 3339).
    public var lastHeartbeatTime: String?
    /// When `status` last changed (RFC 3339).
    public var lastTransitionTime: String?

    public init(
        type: String, status: String, reason: String? = nil, message: String? = nil, lastHeartbeatTime: String? = nil,
        lastTransitionTime: String? = nil
    ) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
        self.lastHeartbeatTime = lastHeartbeatTime
        self.lastTransitionTime = lastTransitionTime
    }

    public init(json: JSONField) throws(JSONShapeError) {
        type = try json.required("type")
        status = try json.field("status", default: "Unknown")
        reason = try json.optional("reason")
        message = try json.optional("message")
        lastHeartbeatTime = try json.optional("lastHeartbeatTime")
        lastTransitionTime = try json.optional("lastTransitionTime")
    }

    public var json: JSON {
        JSON(omittingNils: [
            ("type", .string(type)), ("status", .string(status)), ("reason", reason.map(JSON.string)),
            ("message", message.map(JSON.string)), ("lastHeartbeatTime", lastHeartbeatTime.map(JSON.string)),
            ("lastTransitionTime", lastTransitionTime.map(JSON.string)),
        ])
    }

    /// The conditions an agent reports; the node lifecycle controller sets them all Unknown
    /// when the agent stops reporting.
    public static let reportedTypes = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"]
}
