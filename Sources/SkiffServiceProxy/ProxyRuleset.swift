/// The per-Service part of the proxy's table as nftables text: chains with their rules, the
/// ClientIP affinity sets, and the elements of the verdict maps the fixed chains look up. It is
/// what a sync diffs against the last applied one, so equal Services give equal values.
struct ProxyRuleset: Sendable, Equatable {
    /// Chain name → its rules, in order.
    var chains: [String: [String]] = [:]
    /// Affinity set name → the timeout of its entries, in seconds.
    var affinitySets: [String: Int] = [:]
    /// Map → element key → verdict ("goto CHAIN", "drop").
    var elements: [ProxyMap: [String: String]] = [:]
    /// Which UDP destinations lead to which endpoints, to clear conntrack entries that would
    /// keep sending datagrams to an endpoint that is gone.
    var udpFlows: Set<UDPFlow> = []
    /// UDP destinations that have endpoints: one that gains them has its old (rejected)
    /// conntrack entries cleared, or a client resending on the same socket never reaches them.
    var servedUDP: Set<UDPDestination> = []
}

/// The verdict maps of the table; their keys are `ip daddr . meta l4proto . th dport` or
/// `meta l4proto . th dport`.
enum ProxyMap: String, Sendable, CaseIterable, Comparable {
    /// ClusterIPs and LoadBalancer IPs with endpoints → the Service's entry chain.
    case serviceIPs = "service-ips"
    /// NodePorts with endpoints, matched on node addresses → the external entry chain.
    case serviceNodePorts = "service-nodeports"
    /// VIPs without usable endpoints → reject (none at all) or drop (none for the policy).
    case noEndpointServices = "no-endpoint-services"
    /// NodePorts without usable endpoints.
    case noEndpointNodePorts = "no-endpoint-nodeports"

    /// The map's key type.
    var keyType: String {
        switch self {
        case .serviceIPs, .noEndpointServices: "ipv4_addr . inet_proto . inet_service"
        case .serviceNodePorts, .noEndpointNodePorts: "inet_proto . inet_service"
        }
    }

    static func < (lhs: ProxyMap, rhs: ProxyMap) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Where UDP datagrams for a Service arrive: a VIP and port, or a NodePort on any node address.
struct UDPDestination: Sendable, Hashable {
    /// nil for a NodePort.
    var address: String?
    var port: Int
}

/// A UDP destination and one endpoint it was DNATed to.
struct UDPFlow: Sendable, Hashable {
    var destination: UDPDestination
    var endpoint: String
}
