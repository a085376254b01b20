/// A discovery.k8s.io/v1 EndpointSlice: a Service's endpoints, at most 100 per slice. The
/// endpoint controllers write them; the proxy and the DNS server read them.
public struct EndpointSlice: Sendable, Equatable {
    /// The label naming the Service a slice belongs to.
    public static let serviceNameLabel = "kubernetes.io/service-name"
    /// The label naming the controller that manages a slice.
    public static let managedByLabel = "endpointslice.kubernetes.io/managed-by"

    public let metadata: ObjectMeta
    /// "IPv4", "IPv6" or "FQDN".
    public let addressType: String
    public let endpoints: [Endpoint]
    public let ports: [EndpointPort]

    public init(json: JSON) throws(JSONShapeError) {
        let root = JSONField(json)
        metadata = try root.field("metadata", default: ObjectMeta.empty)
        addressType = try root.field("addressType", default: "IPv4")
        endpoints = try root.field("endpoints", default: [])
        ports = try root.field("ports", default: [])
    }

    public var key: String { metadata.key }

    /// The Service this slice serves, from its `kubernetes.io/service-name` label.
    public var serviceName: String? { metadata.labels[Self.serviceNameLabel] }
}

public struct Endpoint: Sendable, Equatable, JSONDecodable, JSONEncodable {
    public var addresses: [String]
    public var conditions: EndpointConditions
    /// Set for pods with `hostname` and a `subdomain` naming the Service: DNS publishes it.
    public var hostname: String?
    public var nodeName: String?
    public var targetRef: ObjectReference?

    public init(addresses: [String], conditions: EndpointConditions, hostname: String? = nil, nodeName: String? = nil, targetRef: ObjectReference? = nil) {
        self.addresses = addresses
        self.conditions = conditions
        self.hostname = hostname
        self.nodeName = nodeName
        self.targetRef = targetRef
    }

    public init(json: JSONField) throws(JSONShapeError) {
        addresses = try json.field("addresses", default: [])
        conditions = try json.field("conditions", default: EndpointConditions(ready: nil, serving: nil, terminating: nil))
        hostname = try json.optional("hostname")
        nodeName = try json.optional("nodeName")
        targetRef = try json.optional("targetRef")
    }

    public var json: JSON {
        JSON(omittingNils: [
            ("addresses", addresses.json), ("conditions", conditions.json), ("hostname", hostname.map(JSON.string)),
            ("nodeName", nodeName.map(JSON.string)), ("targetRef", targetRef?.json),
        ])
    }
}

/// An endpoint's state. The API leaves a condition unset when it is unknown; consumers read an
/// unknown `ready` as ready, `serving` as `ready`, and `terminating` as false.
public struct EndpointConditions: Sendable, Equatable, JSONDecodable, JSONEncodable {
    public var ready: Bool?
    public var serving: Bool?
    public var terminating: Bool?

    public init(ready: Bool?, serving: Bool?, terminating: Bool?) {
        self.ready = ready
        self.serving = serving
        self.terminating = terminating
    }

    public init(json: JSONField) throws(JSONShapeError) {
        ready = try json.optional("ready")
        serving = try json.optional("serving")
        terminating = try json.optional("terminating")
    }

    public var isReady: Bool { ready ?? true }
    public var isServing: Bool { serving ?? isReady }
    public var isTerminating: Bool { terminating ?? false }

    public var json: JSON {
        JSON(omittingNils: [("ready", ready.map(JSON.bool)), ("serving", serving.map(JSON.bool)), ("terminating", terminating.map(JSON.bool))])
    }
}

public struct EndpointPort: Sendable, Equatable, Hashable, JSONDecodable, JSONEncodable {
    public var name: String
    public var `protocol`: Container.PortProtocol
    public var port: Int32?

    public init(name: String, protocol: Container.PortProtocol, port: Int32?) {
        self.name = name
        self.protocol = `protocol`
        self.port = port
    }

    public init(json: JSONField) throws(JSONShapeError) {
        name = try json.field("name", default: "")
        `protocol` = try json.choice("protocol", default: .tcp)
        port = try json.optional("port")
    }

    public var json: JSON {
        JSON(omittingNils: [("name", .string(name)), ("protocol", .string(`protocol`.rawValue)), ("port", port.map { .int(Int64($0)) })])
    }
}

/// A reference to one object (an endpoint's pod).
public struct ObjectReference: Sendable, Equatable, Hashable, JSONDecodable, JSONEncodable {
    public var kind: String
    public var namespace: String
    public var name: String
    public var uid: String

    public init(kind: String, namespace: String, name: String, uid: String) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.uid = uid
    }

    public init(json: JSONField) throws(JSONShapeError) {
        kind = try json.field("kind", default: "")
        namespace = try json.field("namespace", default: "")
        name = try json.field("name", default: "")
        uid = try json.field("uid", default: "")
    }

    public var json: JSON { ["kind": .string(kind), "namespace": .string(namespace), "name": .string(name), "uid": .string(uid)] }
}
