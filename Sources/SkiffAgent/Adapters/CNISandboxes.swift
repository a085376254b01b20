import Logging
import SkiffAPI
import SkiffNetwork

/// Pod sandboxes from SkiffNetwork: pinned net/IPC/UTS namespaces and the CNI bridge network
/// over the node's pod CIDR, plus the generated /etc files the containers mount.
struct CNISandboxes: PodSandboxes {
    let network: PodSandboxNetwork

    init(configuration: AgentConfiguration, podCIDR: String, logger: Logger) throws {
        let networkConfiguration = try PodNetworkConfiguration(
            bridgeName: configuration.bridgeName, podCIDR: podCIDR,
            ipamDataDirectory: configuration.dataDirectory + "/ipam",
            pluginDirectories: [configuration.cniPluginDirectory, "/opt/cni/bin", "/usr/lib/cni"])
        network = PodSandboxNetwork(configuration: networkConfiguration, sandboxDirectory: configuration.sandboxRuntimeDirectory)
    }

    func setUp(pod: Pod) async throws -> SandboxInfo {
        let request = Self.request(for: pod)
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

    /// hostname, hostNetwork, hostPorts, hostAliases and dnsConfig from the pod spec.
    static func request(for pod: Pod) -> PodSandboxRequest {
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
        return PodSandboxRequest(
            podUID: pod.uid, namespace: pod.namespace, name: pod.name, hostname: hostname, hostDomain: spec.subdomain,
            hostNetwork: spec.hostNetwork, portMappings: mappings, hostAliases: aliases,
            dns: PodDNSConfig(
                ignoreHost: spec.dnsPolicy == .none,
                nameservers: spec.dnsConfig?.nameservers ?? [],
                searches: spec.dnsConfig?.searches ?? [],
                options: (spec.dnsConfig?.options ?? []).map { option in option.value.map { "\(option.name):\($0)" } ?? option.name }))
    }
}
