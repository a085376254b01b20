import SkiffJSON
import SkiffSystem

/// What the agent knows about a pod that its sandbox needs.
public struct PodSandboxRequest: Sendable, Equatable {
    public var podUID: String
    public var namespace: String
    public var name: String
    /// spec.hostname, else the pod name (the agent truncates it to 63 characters as kubelet does).
    public var hostname: String
    /// "<subdomain>.<namespace>.svc.<clusterDomain>" when spec.subdomain is set; adds the FQDN
    /// to /etc/hosts as kubelet does.
    public var hostDomain: String?
    public var hostNetwork: Bool
    /// From the containers' ports that have a hostPort.
    public var portMappings: [PortMapping]
    public var hostAliases: [HostAlias]
    public var dns: PodDNSConfig

    public init(
        podUID: String, namespace: String, name: String, hostname: String, hostDomain: String? = nil,
        hostNetwork: Bool = false, portMappings: [PortMapping] = [], hostAliases: [HostAlias] = [],
        dns: PodDNSConfig = PodDNSConfig()
    ) {
        self.podUID = podUID
        self.namespace = namespace
        self.name = name
        self.hostname = hostname
        self.hostDomain = hostDomain
        self.hostNetwork = hostNetwork
        self.portMappings = portMappings
        self.hostAliases = hostAliases
        self.dns = dns
    }

    func validate() throws(RuntimeError) {
        try PodSandboxNetwork.validatePodUID(podUID)
        // The kernel's hostname limit is 64; a leading '-' would read as an option to hostname(1).
        let hostnameCharacters = hostname.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }
        guard !hostname.isEmpty, hostname.utf8.count <= 64, hostnameCharacters, !hostname.hasPrefix("-") else {
            throw RuntimeError("pod \(namespace)/\(name): hostname \(hostname.quoted) must be 1 to 64 letters, digits, '-' or '.', not starting with '-'")
        }
        for mapping in portMappings {
            guard (1...65535).contains(mapping.hostPort), (1...65535).contains(mapping.containerPort) else {
                throw RuntimeError("pod \(namespace)/\(name): port mapping \(mapping.hostPort)->\(mapping.containerPort) is outside 1-65535")
            }
            if let hostIP = mapping.hostIP, IPv4Network.parseAddress(hostIP) == nil, !hostIP.contains(":") {
                throw RuntimeError("pod \(namespace)/\(name): hostIP \(hostIP.quoted) is not an IP address")
            }
        }
    }
}

/// A container port published on the node (a hostPort), as portmap's runtimeConfig takes it.
public struct PortMapping: Codable, Sendable, Hashable {
    public enum TransportProtocol: String, Codable, Sendable { case tcp, udp, sctp }
    public var hostPort: Int
    public var containerPort: Int
    public var `protocol`: TransportProtocol
    /// Only this host address; nil means all of them.
    public var hostIP: String?

    public init(hostPort: Int, containerPort: Int, protocol: TransportProtocol = .tcp, hostIP: String? = nil) {
        self.hostPort = hostPort
        self.containerPort = containerPort
        self.protocol = `protocol`
        self.hostIP = hostIP
    }

    var json: JSON {
        var fields: [String: JSON] = [
            "hostPort": hostPort.json, "containerPort": containerPort.json, "protocol": .string(`protocol`.rawValue),
        ]
        if let hostIP, !hostIP.isEmpty { fields["hostIP"] = .string(hostIP) }
        return .object(fields)
    }
}

/// spec.hostAliases: extra /etc/hosts lines.
public struct HostAlias: Codable, Sendable, Equatable {
    public var ip: String
    public var hostnames: [String]
    public init(ip: String, hostnames: [String]) {
        self.ip = ip
        self.hostnames = hostnames
    }
}

/// The DNS part of a pod spec, after the kubelet's reading of `dnsPolicy`: `cluster` is the
/// cluster resolver for ClusterFirst (and ClusterFirstWithHostNet) pods, nil for Default (the
/// host's resolv.conf), and `ignoreHost` is dnsPolicy None.
public struct PodDNSConfig: Sendable, Equatable {
    /// dnsPolicy None: only `nameservers`/`searches`/`options` below, nothing from the host.
    public var ignoreHost: Bool
    /// The cluster's nameservers and search path replace the host's nameservers and options;
    /// the host's search domains follow the cluster's, as the kubelet writes them.
    public var cluster: ResolvConf?
    public var nameservers: [String]
    public var searches: [String]
    /// "name" or "name:value", as in spec.dnsConfig.options.
    public var options: [String]

    public init(ignoreHost: Bool = false, cluster: ResolvConf? = nil, nameservers: [String] = [], searches: [String] = [], options: [String] = []) {
        self.ignoreHost = ignoreHost
        self.cluster = cluster
        self.nameservers = nameservers
        self.searches = searches
        self.options = options
    }

    /// The kubelet's cluster resolver for a pod in `namespace`: the cluster DNS addresses, the
    /// search path `<ns>.svc.<domain> svc.<domain> <domain>` and `ndots:5`.
    public static func clusterResolver(nameservers: [String], domain: String, namespace: String) -> ResolvConf {
        ResolvConf(nameservers: nameservers, searches: ["\(namespace).svc.\(domain)", "svc.\(domain)", domain], options: ["ndots:5"])
    }
}
