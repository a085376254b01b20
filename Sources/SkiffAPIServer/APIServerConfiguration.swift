/// Settings of the API server (`skiff server`'s flags).
public struct APIServerConfiguration: Sendable {
    public var dataDirectory: String
    public var bindAddress: String
    public var port: Int
    /// Host names or IPs (besides localhost) to put in the serving certificate and kubeconfig.
    public var advertiseAddress: String?
    /// The range nodes' pod CIDRs (one /24 each) come from.
    public var clusterCIDR: String
    /// `--default-not-ready-toleration-seconds` and `--default-unreachable-toleration-seconds`.
    public var defaultTolerationSeconds = DefaultTolerationSeconds()
    /// Offered to joining servers when this server is a member of an embedded etcd cluster.
    public var clusterJoin: ClusterJoinEndpoint?
    /// `--max-requests-inflight` (0: no limit).
    public var maxRequestsInFlight = RequestLimit.defaultMaxInFlight
    /// Whether watches are served from the watch cache (one store watch per resource) rather than
    /// each opening its own store watch (`--watch-cache=false`, for comparing the two).
    public var watchCache = true
    /// Whether pods get their ServiceAccount's token volume (`KubeAPI.serviceAccountAdmission`).
    public var serviceAccountAdmission = true

    public init(
        dataDirectory: String, bindAddress: String = "0.0.0.0", port: Int = 6443, advertiseAddress: String? = nil,
        clusterCIDR: String = PodCIDRAllocator.defaultClusterCIDR
    ) {
        self.clusterCIDR = clusterCIDR
        self.dataDirectory = dataDirectory
        self.bindAddress = bindAddress
        self.port = port
        self.advertiseAddress = advertiseAddress
    }
}
