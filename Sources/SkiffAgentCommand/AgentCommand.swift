import ArgumentParser
import Glibc
import Logging
import ServiceLifecycle
import SkiffAgent
import SkiffNetwork
import SkiffSystem

/// `skiff agent`: the node agent (Kubernetes' kubelet).
public struct AgentCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "agent", abstract: "Run the node agent: register this host and run the pods bound to it.")

    @Option(
        help:
            "The API server's https:// URL; for several servers repeat it or separate them with commas: the agent uses one and moves to the next when it fails."
    )
    var server: [String] = []
    @Option(help: "File holding the cluster's node join token (the server's node-token).") var tokenFile: String
    @Option(help: "PEM file of the cluster CA (default: pki/ca.crt beside the token file).") var caFile: String?
    @Option(help: "Directory for pod and container state, images and the node API certificate.") var dataDir = "/var/lib/skiff/agent"
    @Option(help: "Directory for container logs (CRI format).") var podLogDir = "/var/log/pods"
    @Option(help: "This node's name (default: the hostname, lowercased).") var nodeName: String?
    @Option(help: "The address other hosts reach this node at (default: the default route's address).") var nodeIP: String?
    @Option(help: "Port of the node API the server proxies logs, exec and stats to; 0 picks one.") var nodeAPIPort = 10250
    @Option(help: "skiff-runc's state directory.") var runtimeRoot = "/run/skiff/runc"
    @Option(help: "Path of skiff-runc (default: beside this binary, then PATH).") var runtime: String?
    @Option(help: "Path of skiff-monitor (default: beside this binary, then PATH).") var monitor: String?
    @Option(help: "Bridge the pods' network attaches to.") var bridge = "skiff0"
    @Option(help: "Top cgroup for pods.") var cgroupRoot = "kubepods"
    @Option(help: "Directory of the CNI plugins.") var cniBinDir = "/usr/lib/cni"
    @Option(help: "Most pods this node accepts.") var maxPods = 110
    @Option(help: "Cluster DNS addresses for pods, comma-separated; the agent answers on the first. \"\" turns cluster DNS off.")
    var clusterDNS = "10.43.0.10"
    @Option(help: "The cluster's DNS domain.") var clusterDomain = "cluster.local"
    @Option(help: "The range every node's pod CIDR is taken from (the server's --cluster-cidr): traffic leaving it is masqueraded.")
    var clusterCIDR = "10.42.0.0/16"
    @Option(
        help:
            "How pod traffic reaches other nodes: auto (host-gw to nodes on this subnet, VXLAN to the rest), host-gw, vxlan, or none (routes are someone else's)."
    )
    var podNetwork = "auto"
    @Option(help: "How Services are programmed: nftables, or none (someone else proxies).") var proxyMode = "nftables"
    @Option(help: "How NetworkPolicies are enforced: nftables, or none (someone else enforces them).") var networkPolicy = "nftables"
    @Option(help: "The resolv.conf Default pods copy and cluster DNS forwards other names to.") var resolvConf = "/etc/resolv.conf"
    @Option(
        help:
            "Hard eviction thresholds, comma-separated signal<quantity or signal<percent%; signals: memory.available, nodefs.available, nodefs.inodesFree, pid.available. \"\" turns eviction off."
    )
    var evictionHard = "memory.available<100Mi,nodefs.available<10%,nodefs.inodesFree<5%,pid.available<2%"
    @Option(help: "How long a pressure condition stays True after its threshold was last crossed (a Go duration).")
    var evictionPressureTransitionPeriod = "5m0s"
    @Option(help: "How often the eviction thresholds are checked and at most one pod evicted (a Go duration).")
    var evictionMonitoringPeriod = "10s"
    @Option(help: "Per-registry CA files, as <dir>/<host[:port]>/ca.crt.") var registryCertsDir = "/etc/skiff/certs.d"
    @Option(help: "A registry that may be reached over plain HTTP or unverified TLS (repeatable; loopback ones always may).")
    var insecureRegistry: [String] = []
    @Option(help: "A Docker config.json whose credentials pulls use after the pod's imagePullSecrets.") var registryAuthFile: String?
    @Option(
        name: .customLong("image-gc-high-threshold"),
        help: "Percent of the image filesystem in use at which image garbage collection runs; 100 turns it off.")
    var imageGCHighThreshold = 85
    @Option(name: .customLong("image-gc-low-threshold"), help: "Percent of the image filesystem in use that image garbage collection frees down to.")
    var imageGCLowThreshold = 80
    @Option(name: .customLong("minimum-image-ttl-duration"), help: "Minimum age of an unused image before it may be garbage collected (a Go duration).")
    var minimumImageTTLDuration = "2m0s"
    @Option(name: .customLong("image-gc-period"), help: "How often image garbage collection checks the image filesystem (a Go duration; the kubelet's is 5m).")
    var imageGCPeriod = "5m0s"
    @Option(help: "How many images the Node's status lists, largest first; -1 lists all.") var nodeStatusMaxImages = 50
    @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel = "info"

    public init() {}

    public func validate() throws {
        do {
            _ = try ServerEndpoints(server)
        } catch {
            throw ValidationError(error.description)
        }
        guard FileSystem.exists(tokenFile) else { throw ValidationError("--token-file \(tokenFile) does not exist") }
        guard (0...65535).contains(nodeAPIPort) else { throw ValidationError("--node-api-port must be 0…65535") }
        guard maxPods > 0 else { throw ValidationError("--max-pods must be positive") }
        for address in clusterDNSAddresses where IPv4Network.parseAddress(address) == nil {
            throw ValidationError("--cluster-dns: \(address) is not an IPv4 address")
        }
        guard !clusterDomain.isEmpty,
            clusterDomain.split(separator: ".").allSatisfy({ label in
                !label.isEmpty && label.count <= 63 && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
            })
        else { throw ValidationError("--cluster-domain \(clusterDomain) is not a DNS domain") }
        do {
            _ = try IPv4Network(clusterCIDR)
        } catch {
            throw ValidationError("--cluster-cidr: \(error)")
        }
        guard podNetwork == "none" || PodNetworkMode(rawValue: podNetwork) != nil else {
            throw ValidationError("--pod-network must be auto, host-gw, vxlan or none, got \(podNetwork)")
        }
        guard ["nftables", "none"].contains(proxyMode) else { throw ValidationError("--proxy-mode must be nftables or none, got \(proxyMode)") }
        guard ["nftables", "none"].contains(networkPolicy) else {
            throw ValidationError("--network-policy must be nftables or none, got \(networkPolicy)")
        }
        guard FileSystem.exists(resolvConf) else { throw ValidationError("--resolv-conf \(resolvConf) does not exist") }
        do {
            _ = try EvictionThreshold.parseList(evictionHard)
        } catch {
            throw ValidationError("--eviction-hard: \(error)")
        }
        guard EvictionConfiguration.seconds(parsingDuration: evictionPressureTransitionPeriod) != nil else {
            throw ValidationError("--eviction-pressure-transition-period \(evictionPressureTransitionPeriod) is not a duration like 5m0s or 30s")
        }
        guard let monitoring = EvictionConfiguration.seconds(parsingDuration: evictionMonitoringPeriod), monitoring > 0 else {
            throw ValidationError("--eviction-monitoring-period \(evictionMonitoringPeriod) is not a positive duration like 10s")
        }
        if let problem = imageGCPolicy.problem { throw ValidationError("--image-gc-high-threshold/--image-gc-low-threshold: \(problem)") }
        guard EvictionConfiguration.seconds(parsingDuration: minimumImageTTLDuration) != nil else {
            throw ValidationError("--minimum-image-ttl-duration \(minimumImageTTLDuration) is not a duration like 2m0s")
        }
        guard let gcPeriod = EvictionConfiguration.seconds(parsingDuration: imageGCPeriod), gcPeriod > 0 else {
            throw ValidationError("--image-gc-period \(imageGCPeriod) is not a positive duration like 5m0s")
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level \(logLevel) is not a level") }
        guard getuid() == 0 else { throw ValidationError("skiff agent must run as root (it creates namespaces, cgroups and mounts)") }
    }

    public func run() async throws {
        // Pipes to plugins and the runtime may close early; that is an error to report, not a
        // reason to die.
        signal(SIGPIPE, SIG_IGN)
        let token = try FileSystem.readString(tokenFile).split(whereSeparator: \.isWhitespace).first.map(String.init) ?? ""
        guard !token.isEmpty else { throw ValidationError("--token-file \(tokenFile) is empty") }
        let caPath = caFile ?? (Self.directory(of: tokenFile) + "/pki/ca.crt")
        guard let ca = try? FileSystem.readString(caPath) else {
            throw ValidationError("cannot read the cluster CA at \(caPath); pass --ca-file")
        }
        var logger = Logger(label: "skiff.agent")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let name = (nodeName ?? Self.hostname()).lowercased()
        var configuration = AgentConfiguration(
            servers: try ServerEndpoints(server), joinToken: token, caCertificatePEM: ca, nodeName: name, dataDirectory: dataDir,
            podLogDirectory: podLogDir, runtimeRoot: runtimeRoot, runtimePath: try runtime ?? Self.sibling("skiff-runc"),
            monitorPath: try monitor ?? Self.sibling("skiff-monitor"), nodeAPIPort: nodeAPIPort, nodeIP: nodeIP,
            cgroupRoot: cgroupRoot, bridgeName: bridge, cniPluginDirectory: cniBinDir, maxPods: maxPods)
        configuration.clusterDNS = clusterDNSAddresses
        configuration.clusterDomain = clusterDomain.lowercased()
        configuration.clusterCIDR = clusterCIDR
        configuration.podNetworkMode = PodNetworkMode(rawValue: podNetwork)
        configuration.serviceProxy = proxyMode == "nftables"
        configuration.networkPolicy = networkPolicy == "nftables"
        configuration.resolvConf = resolvConf
        configuration.registryCertificatesDirectory = registryCertsDir
        configuration.insecureRegistries = insecureRegistry
        configuration.registryAuthFile = registryAuthFile
        configuration.eviction = EvictionConfiguration(
            thresholds: try EvictionThreshold.parseList(evictionHard),
            monitoringIntervalSeconds: EvictionConfiguration.seconds(parsingDuration: evictionMonitoringPeriod) ?? 10,
            pressureTransitionPeriodSeconds: EvictionConfiguration.seconds(parsingDuration: evictionPressureTransitionPeriod) ?? 300)
        configuration.imageGC = imageGCPolicy
        configuration.nodeStatusMaxImages = nodeStatusMaxImages
        let agent = Agent(configuration: configuration, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [agent], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    var imageGCPolicy: ImageGCPolicy {
        ImageGCPolicy(
            highThresholdPercent: imageGCHighThreshold, lowThresholdPercent: imageGCLowThreshold,
            minimumAgeSeconds: EvictionConfiguration.seconds(parsingDuration: minimumImageTTLDuration) ?? 120,
            periodSeconds: EvictionConfiguration.seconds(parsingDuration: imageGCPeriod) ?? 300)
    }

    var clusterDNSAddresses: [String] {
        clusterDNS.split(separator: ",").map { String($0.filter { $0 != " " }) }.filter { !$0.isEmpty }
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count)
        return String(nulTerminated: buffer)
    }

    /// A helper binary installed beside `skiff`, else found on PATH.
    static func sibling(_ name: String) throws -> String {
        let own = FileSystem.symlinkTarget("/proc/self/exe") ?? ""
        let beside = directory(of: own) + "/" + name
        if access(beside, X_OK) == 0 { return beside }
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
        for entry in path.split(separator: ":") {
            let candidate = "\(entry)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        throw ValidationError("cannot find \(name) beside \(own) or on PATH; pass its path")
    }
}
