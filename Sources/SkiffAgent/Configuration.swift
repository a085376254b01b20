import SkiffNetwork
import SkiffSystem

/// Everything `skiff agent` is told on its command line, with the kubelet's defaults.
public struct AgentConfiguration: Sendable {
    /// The API servers, e.g. https://10.0.0.1:6443 and https://10.0.0.2:6443: the agent uses one
    /// and moves to the next when it fails.
    public var servers: ServerEndpoints
    /// The cluster's join secret (the server's `node-token`).
    public var joinToken: String
    /// PEM of the cluster CA that signed the server's certificate.
    public var caCertificatePEM: String
    public var nodeName: String
    /// Where the agent keeps pod and container state, images and the node API's certificate.
    public var dataDirectory: String
    /// CRI-format container logs, /var/log/pods in Kubernetes.
    public var podLogDirectory: String
    /// skiff-runc's state root; separate from a standalone skiff-runc's /run/skiff-runc.
    public var runtimeRoot: String
    public var runtimePath: String
    public var monitorPath: String
    /// The node API's port (the kubelet's 10250); 0 picks a free one.
    public var nodeAPIPort: Int
    /// The address other hosts reach this node at; the first non-loopback IPv4 when nil.
    public var nodeIP: String?
    /// The cgroup (relative to each hierarchy's root) that holds every pod.
    public var cgroupRoot: String
    /// The bridge the CNI plugins attach pods to.
    public var bridgeName: String
    public var cniPluginDirectory: String
    public var maxPods: Int
    /// The cluster DNS addresses pods resolve through (the kubelet's --cluster-dns); the agent
    /// answers on the first. Empty turns cluster DNS off: ClusterFirst pods use the host's resolvers.
    public var clusterDNS: [String]
    /// The kubelet's --cluster-domain.
    public var clusterDomain: String
    /// Every node's pod range lies in it (the server's --cluster-cidr): traffic leaving it is
    /// masqueraded, and traffic from outside it to a Service VIP too.
    public var clusterCIDR: String
    /// How pod traffic reaches other nodes; nil leaves routes and masquerade to someone else
    /// (flannel's `--flannel-backend=none`).
    public var podNetworkMode: PodNetworkMode?
    /// Whether this agent programs Services into nftables (kube-proxy's job); false leaves it
    /// to someone else.
    public var serviceProxy: Bool
    /// Whether this agent enforces NetworkPolicies in nftables; false leaves it to someone else
    /// (k3s's --disable-network-policy).
    public var networkPolicy: Bool
    /// The resolv.conf that Default pods copy and cluster DNS forwards to (the kubelet's --resolv-conf).
    public var resolvConf: String
    public var leaseDurationSeconds: Int
    public var heartbeatSeconds: Double
    /// First restart waits this long after the second failure, doubling to `maxBackoff`.
    public var initialBackoffSeconds: Double
    public var maxBackoffSeconds: Double
    /// Node-pressure eviction: thresholds, how often they are checked, how long pressure lingers.
    public var eviction: EvictionConfiguration
    /// Per-registry CA files, `<dir>/<host[:port]>/ca.crt` (Docker's certs.d layout).
    public var registryCertificatesDirectory: String
    /// Registries reachable over plain HTTP or unverified TLS (loopback ones always are).
    public var insecureRegistries: [String]
    /// A Docker config.json whose credentials every pull may use, after the pod's imagePullSecrets.
    public var registryAuthFile: String?
    /// Image garbage collection: the kubelet's disk thresholds, minimum age and period.
    public var imageGC: ImageGCPolicy
    /// How many images the Node's status.images lists, largest first (the kubelet's
    /// --node-status-max-images); -1 lists all.
    public var nodeStatusMaxImages: Int

    public init(
        servers: ServerEndpoints, joinToken: String, caCertificatePEM: String, nodeName: String,
        dataDirectory: String = "/var/lib/skiff/agent", podLogDirectory: String = "/var/log/pods",
        runtimeRoot: String = "/run/skiff/runc", runtimePath: String, monitorPath: String,
        nodeAPIPort: Int = 10250, nodeIP: String? = nil, cgroupRoot: String = "kubepods",
        bridgeName: String = "skiff0", cniPluginDirectory: String = "/usr/lib/cni", maxPods: Int = 110
    ) {
        self.servers = servers
        self.joinToken = joinToken
        self.caCertificatePEM = caCertificatePEM
        self.nodeName = nodeName
        self.dataDirectory = dataDirectory
        self.podLogDirectory = podLogDirectory
        self.runtimeRoot = runtimeRoot
        self.runtimePath = runtimePath
        self.monitorPath = monitorPath
        self.nodeAPIPort = nodeAPIPort
        self.nodeIP = nodeIP
        self.cgroupRoot = cgroupRoot
        self.bridgeName = bridgeName
        self.cniPluginDirectory = cniPluginDirectory
        self.maxPods = maxPods
        self.clusterDNS = ["10.43.0.10"]
        self.clusterDomain = "cluster.local"
        self.clusterCIDR = "10.42.0.0/16"
        self.podNetworkMode = .auto
        self.serviceProxy = true
        self.networkPolicy = true
        self.resolvConf = "/etc/resolv.conf"
        self.leaseDurationSeconds = 40
        self.heartbeatSeconds = 10
        self.initialBackoffSeconds = 10
        self.maxBackoffSeconds = 300
        self.eviction = EvictionConfiguration()
        self.registryCertificatesDirectory = "/etc/skiff/certs.d"
        self.insecureRegistries = []
        self.registryAuthFile = nil
        self.imageGC = ImageGCPolicy()
        self.nodeStatusMaxImages = 50
    }

    var containersDirectory: String { dataDirectory + "/containers" }
    var podsDirectory: String { dataDirectory + "/pods" }
    var imagesDirectory: String { dataDirectory + "/images" }
    var sandboxRuntimeDirectory: String { dataDirectory + "/sandboxes" }
}
