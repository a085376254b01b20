/// One Service as the proxy needs it: plain values the agent fills from the Service and its
/// EndpointSlices, with named target ports already resolved to numbers.
public struct ProxyService: Sendable, Equatable {
    /// The kinds of Service the proxy programs; ExternalName and headless Services have no VIP
    /// and are left out by the caller.
    public enum Kind: String, Sendable, Equatable {
        case clusterIP = "ClusterIP"
        case nodePort = "NodePort"
        case loadBalancer = "LoadBalancer"
    }

    public var namespace: String
    public var name: String
    public var type: Kind
    public var clusterIPs: [String]
    /// `status.loadBalancer.ingress[].ip`: answered like node addresses (external traffic).
    public var loadBalancerIPs: [String]
    /// `sessionAffinity: ClientIP`'s timeout; nil is `sessionAffinity: None`.
    public var sessionAffinityTimeoutSeconds: Int?
    public var externalTrafficPolicyLocal: Bool
    public var internalTrafficPolicyLocal: Bool
    public var ports: [ProxyServicePort]

    public init(
        namespace: String, name: String, type: Kind = .clusterIP, clusterIPs: [String], loadBalancerIPs: [String] = [],
        sessionAffinityTimeoutSeconds: Int? = nil, externalTrafficPolicyLocal: Bool = false,
        internalTrafficPolicyLocal: Bool = false, ports: [ProxyServicePort]
    ) {
        self.namespace = namespace
        self.name = name
        self.type = type
        self.clusterIPs = clusterIPs
        self.loadBalancerIPs = loadBalancerIPs
        self.sessionAffinityTimeoutSeconds = sessionAffinityTimeoutSeconds
        self.externalTrafficPolicyLocal = externalTrafficPolicyLocal
        self.internalTrafficPolicyLocal = internalTrafficPolicyLocal
        self.ports = ports
    }
}

/// A transport protocol a Service port uses.
public enum ProxyProtocol: String, Sendable, Equatable, Hashable, CaseIterable {
    case tcp = "TCP"
    case udp = "UDP"
    case sctp = "SCTP"

    /// The name nftables gives it (`inet_proto` values, `meta l4proto tcp`).
    var nftName: String { rawValue.lowercased() }
}

/// One port of a Service with the endpoints that serve it.
public struct ProxyServicePort: Sendable, Equatable {
    /// The port's name; empty for a Service's single unnamed port.
    public var name: String
    public var `protocol`: ProxyProtocol
    public var port: Int
    /// Set for NodePort and LoadBalancer Services.
    public var nodePort: Int?
    public var endpoints: [ProxyEndpoint]

    public init(name: String = "", protocol: ProxyProtocol = .tcp, port: Int, nodePort: Int? = nil, endpoints: [ProxyEndpoint]) {
        self.name = name
        self.protocol = `protocol`
        self.port = port
        self.nodePort = nodePort
        self.endpoints = endpoints
    }
}

/// One backend of a Service port: an address and its resolved target port, with the
/// EndpointSlice conditions.
public struct ProxyEndpoint: Sendable, Equatable, Hashable {
    public var address: String
    public var port: Int
    public var ready: Bool
    public var serving: Bool
    public var terminating: Bool
    /// Whether the endpoint runs on this node (its `nodeName` is ours), for the Local policies.
    public var isLocal: Bool

    public init(address: String, port: Int, ready: Bool = true, serving: Bool? = nil, terminating: Bool = false, isLocal: Bool = false) {
        self.address = address
        self.port = port
        self.ready = ready
        // EndpointSlice: serving defaults to ready when the condition is absent.
        self.serving = serving ?? ready
        self.terminating = terminating
        self.isLocal = isLocal
    }
}
