import SkiffAPI

/// What the node IPAM controller reads of a Node: its ranges, whether it is being deleted, its
/// network-unavailable taint and NetworkUnavailable condition.
public struct IPAMNode: Sendable, Equatable {
    public let name: String
    /// RFC 3339 in UTC, so text order is time order; "" when unknown.
    public let creationTimestamp: String
    /// `spec.podCIDRs`, else `spec.podCIDR`.
    public let podCIDRs: [String]
    public let isBeingDeleted: Bool
    public let hasNetworkUnavailableTaint: Bool
    /// The NetworkUnavailable condition's status, reason and message, if it has one.
    public let networkUnavailable: (status: String, reason: String, message: String)?

    public init(json: JSON) throws(JSONShapeError) {
        guard case .object = json["metadata"] else { throw JSONShapeError(path: "metadata", problem: "expected an object") }
        name = json["metadata"]["name"].string ?? ""
        creationTimestamp = json["metadata"]["creationTimestamp"].string ?? ""
        let single = json["spec"]["podCIDR"].string ?? ""
        let plural = (json["spec"]["podCIDRs"].array ?? []).compactMap(\.string)
        podCIDRs = plural.isEmpty ? (single.isEmpty ? [] : [single]) : plural
        isBeingDeleted = !json["metadata"]["deletionTimestamp"].isNull
        hasNetworkUnavailableTaint = NetworkUnavailable.hasTaint(json)
        networkUnavailable = (json["status"]["conditions"].array ?? []).first { $0["type"].string == "NetworkUnavailable" }.map {
            ($0["status"].string ?? "", $0["reason"].string ?? "", $0["message"].string ?? "")
        }
    }

    /// No range yet, and not being deleted.
    public var isWaiting: Bool { podCIDRs.isEmpty && !isBeingDeleted }

    public static func == (lhs: IPAMNode, rhs: IPAMNode) -> Bool {
        lhs.name == rhs.name && lhs.creationTimestamp == rhs.creationTimestamp && lhs.podCIDRs == rhs.podCIDRs && lhs.isBeingDeleted == rhs.isBeingDeleted
            && lhs.hasNetworkUnavailableTaint == rhs.hasNetworkUnavailableTaint
            && lhs.networkUnavailable?.status == rhs.networkUnavailable?.status && lhs.networkUnavailable?.reason == rhs.networkUnavailable?.reason
            && lhs.networkUnavailable?.message == rhs.networkUnavailable?.message
    }
}
