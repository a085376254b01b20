/// A core/v1 Endpoints object: the legacy, single-object list of a Service's addresses that
/// older clients (and `kubectl get endpoints`) read. The endpoints controller mirrors each
/// selector Service's pods into one; the API server writes the `kubernetes` Service's.
public struct KubeEndpoints: Sendable, Equatable {
    public let metadata: ObjectMeta
    public let subsets: [EndpointSubset]

    public init(json: JSON) throws(JSONShapeError) {
        let root = JSONField(json)
        metadata = try root.field("metadata", default: ObjectMeta.empty)
        subsets = try root.field("subsets", default: [])
    }

    public var key: String { metadata.key }
}

/// Addresses that share one set of ports.
public struct EndpointSubset: Sendable, Equatable, JSONDecodable, JSONEncodable {
    public var addresses: [EndpointAddress]
    public var notReadyAddresses: [EndpointAddress]
    public var ports: [EndpointPort]

    public init(addresses: [EndpointAddress], notReadyAddresses: [EndpointAddress], ports: [EndpointPort]) {
        self.addresses = addresses
        self.notReadyAddresses = notReadyAddresses
        self.ports = ports
    }

    public init(json: JSONField) throws(JSONShapeError) {
        addresses = try json.field("addresses", default: [])
        notReadyAddresses = try json.field("notReadyAddresses", default: [])
        ports = try json.field("ports", default: [])
    }

    /// Empty lists are left out, as the API server stores them.
    public var json: JSON {
        // `JSON?.none`, not `nil`: JSON is nil-literal expressible, and a bare nil would be `null`.
        JSON(omittingNils: [
            ("addresses", addresses.isEmpty ? JSON?.none : addresses.json),
            ("notReadyAddresses", notReadyAddresses.isEmpty ? JSON?.none : notReadyAddresses.json), ("ports", ports.isEmpty ? JSON?.none : ports.json),
        ])
    }
}

/// One address of an Endpoints subset.
public struct EndpointAddress: Sendable, Equatable, JSONDecodable, JSONEncodable {
    public var ip: String
    public var hostname: String?
    public var nodeName: String?
    public var targetRef: ObjectReference?

    public init(ip: String, hostname: String? = nil, nodeName: String? = nil, targetRef: ObjectReference? = nil) {
        self.ip = ip
        self.hostname = hostname
        self.nodeName = nodeName
        self.targetRef = targetRef
    }

    public init(json: JSONField) throws(JSONShapeError) {
        ip = try json.field("ip", default: "")
        hostname = try json.optional("hostname")
        nodeName = try json.optional("nodeName")
        targetRef = try json.optional("targetRef")
    }

    public var json: JSON {
        JSON(omittingNils: [
            ("ip", .string(ip)), ("hostname", hostname.map(JSON.string)), ("nodeName", nodeName.map(JSON.string)), ("targetRef", targetRef?.json),
        ])
    }
}
