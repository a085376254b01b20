/// A Service as the DNS server needs it, built by the agent from the Service and its
/// EndpointSlices. `clusterIPs` empty means headless; `externalName` set means ExternalName.
public struct DNSService: Hashable, Sendable {
    public var namespace: String
    public var name: String
    public var clusterIPs: [String]
    public var externalName: String?
    /// The Service's ports for a ClusterIP service; the EndpointSlices' ports for a headless one.
    public var ports: [DNSPort]
    /// Endpoints of a headless service (ignored for the others: their name points at the ClusterIP).
    public var endpoints: [DNSEndpoint]

    public init(
        namespace: String, name: String, clusterIPs: [String] = [], externalName: String? = nil, ports: [DNSPort] = [],
        endpoints: [DNSEndpoint] = []
    ) {
        self.namespace = namespace
        self.name = name
        self.clusterIPs = clusterIPs
        self.externalName = externalName
        self.ports = ports
        self.endpoints = endpoints
    }
}

/// A service port; only named ports get SRV records (`_name._tcp.svc.ns.svc.zone`).
public struct DNSPort: Hashable, Sendable {
    public var name: String?
    /// "TCP", "UDP" or "SCTP", as in the API.
    public var `protocol`: String
    public var port: Int

    public init(name: String?, protocol: String = "TCP", port: Int) {
        self.name = name
        self.protocol = `protocol`
        self.port = port
    }
}

/// An address of a headless service's EndpointSlice. Only ready ones are published.
public struct DNSEndpoint: Hashable, Sendable {
    public var address: String
    /// The pod's hostname when it set `subdomain` to the service (StatefulSet pods do).
    public var hostname: String?
    public var ready: Bool

    public init(address: String, hostname: String? = nil, ready: Bool = true) {
        self.address = address
        self.hostname = hostname
        self.ready = ready
    }
}
