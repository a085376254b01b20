/// A core/v1 Node (named so beside Yams' `Node`) as the pod network and the proxy read it: its pod range and addresses.
public struct KubeNode: Sendable, Equatable {
    public let metadata: ObjectMeta
    /// `spec.podCIDRs`, else `spec.podCIDR`; empty until the IPAM controller hands one out.
    public let podCIDRs: [String]
    public let unschedulable: Bool
    /// `spec.taints`.
    public let taints: [Taint]
    public let addresses: [NodeAddress]
    /// `status.conditions`.
    public let conditions: [NodeCondition]

    public init(json: JSON) throws(JSONShapeError) {
        let root = JSONField(json)
        metadata = try root.field("metadata", default: ObjectMeta.empty)
        let spec = JSONField(try root.field("spec", default: JSON.emptyObject), path: "spec")
        let single: String = try spec.field("podCIDR", default: "")
        let ranges: [String] = try spec.field("podCIDRs", default: [])
        podCIDRs = ranges.isEmpty ? (single.isEmpty ? [] : [single]) : ranges
        unschedulable = try spec.field("unschedulable", default: false)
        taints = (spec.value["taints"].array ?? []).map(Taint.init)
        let status = JSONField(try root.field("status", default: JSON.emptyObject), path: "status")
        addresses = try status.field("addresses", default: [])
        conditions = try status.field("conditions", default: [])
    }

    public var name: String { metadata.name }
    public var labels: [String: String] { metadata.labels }

    /// `status.conditions[type=Ready].status`: "True", "False", "Unknown", or nil before the
    /// node first reported.
    public var readyStatus: String? { condition("Ready")?.status }

    public func condition(_ type: String) -> NodeCondition? { conditions.first { $0.type == type } }

    /// Whether the node last said it is Ready.
    public var isReady: Bool { readyStatus == "True" }

    /// The first InternalIP, the address peers route pod traffic to.
    public var internalIP: String? { addresses.first { $0.type == "InternalIP" }?.address }
}

public struct NodeAddress: Sendable, Equatable, JSONDecodable {
    /// "InternalIP", "ExternalIP", "Hostname"…
    public let type: String
    public let address: String

    public init(json: JSONField) throws(JSONShapeError) {
        type = try json.field("type", default: "")
        address = try json.field("address", default: "")
    }
}
