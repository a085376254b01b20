import Logging
import SkiffAPI
import SkiffNetwork

/// Pod sandboxes from SkiffNetwork: pinned net/IPC/UTS namespaces and the CNI bridge network
/// over the node's pod CIDR, plus the generated /etc files the containers mount.
struct CNISandboxes: PodSandboxes {
    let network: PodSandboxNetwork
    let clusterDNS: ClusterDNSSettings

    /// `mtu`: the pods' MTU (the uplink's, less VXLAN's overhead when pod traffic may be
    /// encapsulated); nil keeps the bridge plugin's 1500.
    init(configuration: AgentConfiguration, podCIDR: String, mtu: Int?, logger: Logger) throws {
        let networkConfiguration = try PodNetworkConfiguration(
            bridgeName: configuration.bridgeName, podCIDR: podCIDR,
            ipamDataDirectory: configuration.dataDirectory + "/ipam",
            pluginDirectories: [configuration.cniPluginDirectory, "/opt/cni/bin", "/usr/lib/cni"], mtu: mtu)
        network = PodSandboxNetwork(
            configuration: networkConfiguration, sandboxDirectory: configuration.sandboxRuntimeDirectory, hostResolvConf: configuration.resolvConf)
        clusterDNS = ClusterDNSSettings(nameservers: configuration.clusterDNS, domain: configuration.clusterDomain)
    }

    func setUp(pod: Pod) async throws -> SandboxInfo {
        let request = Self.request(for: pod, clusterDNS: clusterDNS)
        let network = network
        let sandbox = try await blocking { try network.setUp(request) }
        var files = [
            PreparedMount(destination: "/etc/hosts", source: sandbox.hostsPath),
            PreparedMount(destination: "/etc/resolv.conf", source: sandbox.resolvConfPath),
        ]
        if !sandbox.hostNetwork { files.append(PreparedMount(destination: "/etc/hostname", source: sandbox.hostnamePath)) }
        return SandboxInfo(
            podIP: sandbox.podIP ?? "",
            paths: SandboxPaths(network: sandbox.networkNamespacePath, ipc: sandbox.ipcNamespacePath, uts: sandbox.utsNamespacePath),
            files: files)
    }

    /// Releases sandboxes (and IPs) of pods that no longer have saved state: what a crash or a
    /// reboot leaves behind.
    func cleanupStale(keeping uids: Set<String>) async {
        let network = network
        await blocking { _ = try? network.cleanupStale(keeping: uids) }
    }

    func tearDown(podUID: String) async {
        let network = network
        await blocking { try? network.tearDown(podUID: podUID) }
    }

    /// hostname, hostNetwork, hostPorts, hostAliases and DNS from the pod spec.
    static func request(for pod: Pod, clusterDNS: ClusterDNSSettings) -> PodSandboxRequest {
        let spec = pod.spec
        var mappings: [PortMapping] = []
        for container in spec.containers {
            for port in container.ports {
                guard let hostPort = port.hostPort, hostPort > 0 else { continue }
                let transport = PortMapping.TransportProtocol(rawValue: port.protocol.rawValue.lowercased()) ?? .tcp
                mappings.append(PortMapping(hostPort: Int(hostPort), containerPort: Int(port.containerPort), protocol: transport, hostIP: port.hostIP))
            }
        }
        let aliases = spec.hostAliases.map { HostAlias(ip: $0.ip, hostnames: $0.hostnames) }
        let hostname = spec.hostname ?? String((pod.name.isEmpty ? "pod" : pod.name).prefix(63))
        let hostDomain = spec.subdomain.map { "\($0).\(pod.namespace).svc.\(clusterDNS.domain)" }
        return PodSandboxRequest(
            podUID: pod.uid, namespace: pod.namespace, name: pod.name, hostname: hostname, hostDomain: hostDomain,
            hostNetwork: spec.hostNetwork, portMappings: mappings, hostAliases: aliases,
            dns: PodDNSConfig(
                ignoreHost: spec.dnsPolicy == .none,
                cluster: clusterDNS.resolver(for: pod),
                nameservers: spec.dnsConfig?.nameservers ?? [],
                searches: spec.dnsConfig?.searches ?? [],
                options: (spec.dnsConfig?.options ?? []).map { option in option.value.map { "\(option.name):\($0)" } ?? option.name }))
    }
}

/// The kubelet's `--cluster-dns` and `--cluster-domain`, and how a pod's dnsPolicy picks them.
struct ClusterDNSSettings: Sendable, Equatable {
    /// Empty: no cluster DNS; ClusterFirst pods then resolve as Default ones, as the kubelet does.
    var nameservers: [String]
    var domain: String

    /// The cluster resolver for ClusterFirst pods with their own network and for
    /// ClusterFirstWithHostNet pods; nil for Default, None and ClusterFirst on the host network.
    func resolver(for pod: Pod) -> ResolvConf? {
        guard !nameservers.isEmpty else { return nil }
        switch pod.spec.dnsPolicy {
        case .clusterFirst where !pod.spec.hostNetwork, .clusterFirstWithHostNet:
            return PodDNSConfig.clusterResolver(nameservers: nameservers, domain: domain, namespace: pod.namespace)
        case .clusterFirst, .default, .none:
            return nil
        }
    }
}
