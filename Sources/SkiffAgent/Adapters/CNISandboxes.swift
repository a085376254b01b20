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

    func setUp(pod: JSON) async throws -> SandboxInfo {
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
    static func request(for pod: JSON) -> PodSandboxRequest {
        let spec = pod["spec"]
        var mappings: [PortMapping] = []
        for container in spec["containers"].array ?? [] {
            for port in container["ports"].array ?? [] {
                guard let hostPort = port["hostPort"].int, hostPort > 0, let containerPort = port["containerPort"].int else { continue }
                let transport = PortMapping.TransportProtocol(rawValue: (port["protocol"].string ?? "TCP").lowercased()) ?? .tcp
                mappings.append(PortMapping(hostPort: Int(hostPort), containerPort: Int(containerPort), protocol: transport, hostIP: port["hostIP"].string))
            }
        }
        let aliases = (spec["hostAliases"].array ?? []).map { alias in
            HostAlias(ip: alias["ip"].string ?? "", hostnames: alias["hostnames"].array?.compactMap(\.string) ?? [])
        }
        let dns = spec["dnsConfig"]
        let hostname = spec["hostname"].string ?? String((pod["metadata"]["name"].string ?? "pod").prefix(63))
        return PodSandboxRequest(
            podUID: pod["metadata"]["uid"].string ?? "", namespace: pod["metadata"]["namespace"].string ?? "default",
            name: pod["metadata"]["name"].string ?? "", hostname: hostname, hostDomain: spec["subdomain"].string,
            hostNetwork: spec["hostNetwork"].bool ?? false, portMappings: mappings, hostAliases: aliases,
            dns: PodDNSConfig(
                ignoreHost: spec["dnsPolicy"].string == "None",
                nameservers: dns["nameservers"].array?.compactMap(\.string) ?? [],
                searches: dns["searches"].array?.compactMap(\.string) ?? [],
                options: (dns["options"].array ?? []).compactMap { option in
                    guard let name = option["name"].string else { return nil }
                    return option["value"].string.map { "\(name):\($0)" } ?? name
                }))
    }
}
