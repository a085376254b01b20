/// What the proxy knows of the node it programs: where NodePorts answer, which sources are pods,
/// and the nftables table it owns.
public struct ProxyNode: Sendable, Equatable {
    /// The `ip` family table the proxy owns and rewrites; tests and benches pick their own.
    public var tableName: String
    /// The cluster's pod CIDR ("10.42.0.0/16"): traffic from elsewhere to a ClusterIP is
    /// masqueraded (kube-proxy's `--cluster-cidr` local detector); nil masquerades none of it.
    public var clusterCIDR: String?
    /// The node addresses NodePorts answer on (kube-proxy's `--nodeport-addresses`); empty means
    /// every local address but 127.0.0.0/8, found with `fib daddr type local`.
    public var nodePortAddresses: [String]

    public init(tableName: String = "skiff-proxy", clusterCIDR: String? = "10.42.0.0/16", nodePortAddresses: [String] = []) {
        self.tableName = tableName
        self.clusterCIDR = clusterCIDR
        self.nodePortAddresses = nodePortAddresses
    }
}
