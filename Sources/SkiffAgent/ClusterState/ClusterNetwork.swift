import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffClient
import SkiffDNS
import SkiffNetwork
import SkiffNetworkPolicy
import SkiffPodNetwork
import SkiffServiceProxy
import SkiffSystem

/// The node's share of the cluster network, set up once the Node is registered: routes to the
/// other nodes' pods (flannel's job), Services in nftables (kube-proxy's), NetworkPolicies in
/// nftables (kube-router's), and the cluster DNS server (CoreDNS's), each following the informers it needs. Parts the configuration turns off
/// are left to someone else.
struct ClusterNetwork {
    /// The loops to run: the informers first, then the controllers and the DNS server.
    let services: [any Service]
    /// The MTU pods get; nil when the pod network is left to someone else.
    let podMTU: Int?

    static func prepare(
        configuration: AgentConfiguration, client: any ListWatchClient, podCIDR: String, nodeIP: String, recorder: EventRecorder, logger: Logger
    ) async throws -> ClusterNetwork {
        let informers = ClusterInformers(client: client, logger: logger)
        var loops: [any Service] = []
        var podMTU: Int?
        if let mode = configuration.podNetworkMode {
            let routes = PodNetworkRoutes()
            let local = try LocalNode(
                name: configuration.nodeName, internalIP: nodeIP, podCIDR: podCIDR, clusterCIDR: configuration.clusterCIDR, mode: mode)
            let uplink = try await blocking { try routes.uplink(for: local.internalIP) }
            podMTU = PodNetworkConfiguration.podMTU(mode: mode, underlyingMTU: uplink.mtu)
            loops.append(informers.nodes)
            loops.append(PodNetworkController(informers: informers, routes: routes, local: local, logger: logger).worker())
        }
        if configuration.serviceProxy {
            await blocking { ensureBridgedTrafficIsFiltered(logger: logger) }
            let proxy = ServiceProxy(node: ProxyNode(tableName: "skiff-proxy", clusterCIDR: configuration.clusterCIDR, nodePortAddresses: [nodeIP]))
            loops.append(
                ServiceProxyController(informers: informers, proxy: proxy, nodeName: configuration.nodeName, recorder: recorder, logger: logger)
                    .worker())
        }
        if configuration.networkPolicy {
            // Pods on one bridge reach each other bridged: only with bridge netfilter do those
            // packets pass the forward hook the policies are enforced on.
            await blocking { ensureBridgedTrafficIsFiltered(logger: logger) }
            let enforcer = NetworkPolicyEnforcer(tableName: "skiff-netpol")
            loops += [informers.pods as any Service, informers.namespaces, informers.networkPolicies]
            loops.append(NetworkPolicyController(informers: informers, enforcer: enforcer, nodeName: configuration.nodeName, logger: logger).worker())
        }
        if let address = configuration.clusterDNS.first {
            let hostResolvers = ResolvConf(parsing: (try? FileSystem.readString(configuration.resolvConf)) ?? "")
            let forwarder = DNSForwarder(upstreams: DNSForwarder.upstreams(from: hostResolvers, excluding: configuration.clusterDNS))
            let server = DNSServer(configuration: .init(host: address, port: 53), forwarder: forwarder, logger: logger)
            loops.append(ClusterDNSHost(address: address, server: server, logger: logger))
            loops.append(
                ClusterDNSController(
                    informers: informers, server: server, zone: configuration.clusterDomain, nameserverAddresses: configuration.clusterDNS,
                    logger: logger
                ).worker())
        }
        if configuration.serviceProxy || !configuration.clusterDNS.isEmpty {
            loops.insert(contentsOf: [informers.services as any Service, informers.endpointSlices], at: 0)
        }
        return ClusterNetwork(services: loops, podMTU: podMTU)
    }

    /// A pod reaching a Service whose endpoint sits on the same bridge gets its reply bridged,
    /// not routed: only with bridge netfilter on does the reply pass nftables and lose its DNAT
    /// (kube-proxy requires the same). Its module is loaded where it is missing, as k3s's agent
    /// does, and it is turned on; a host where neither works is told why Services will fail.
    static func ensureBridgedTrafficIsFiltered(logger: Logger) {
        let knob = "/proc/sys/net/bridge/bridge-nf-call-iptables"
        if !FileSystem.exists(knob), let modprobe = ["/usr/sbin/modprobe", "/sbin/modprobe"].first(where: FileSystem.exists) {
            _ = try? Command.run(modprobe, ["br_netfilter"])
        }
        guard FileSystem.exists(knob) else {
            logger.warning("bridge netfilter is missing (modprobe br_netfilter): pods reaching a Service backed by a pod on their own node will fail")
            return
        }
        do {
            if (try FileSystem.readString(knob)).hasPrefix("0") { try FileSystem.write(knob, "1") }
        } catch {
            logger.warning("cannot turn on bridge netfilter", metadata: ["error": "\(error)"])
        }
    }
}

/// Serves cluster DNS on `address`, NodeLocal DNSCache's way: the address is this node's own, on
/// a dummy link, so pods and the host reach the node's server without a hop. A host where that
/// cannot be done (no dummy links, the port taken) keeps running pods; it says why and retries.
struct ClusterDNSHost: Service {
    static let interface = "skiff-dns"
    let address: String
    let server: DNSServer
    let logger: Logger

    func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let address = address
                    try await blocking { try HostAddresses.ensureDummy(interface: Self.interface, address: address) }
                    try await server.run()
                    return
                } catch {
                    guard !Task.isCancelled else { return }
                    logger.error("cluster DNS cannot serve \(address):53; retrying in 30 s", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: .seconds(30))
                }
            }
        }
    }
}
