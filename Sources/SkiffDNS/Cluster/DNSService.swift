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
