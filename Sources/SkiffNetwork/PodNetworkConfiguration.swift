import SkiffJSON
import SkiffSystem

/// The node's pod network, from the agent's config: one bridge with host-local IPAM over the
/// node's podCIDR, plus portmap for hostPorts. Routes to other nodes and masquerade are
/// SkiffPodNetwork's.
public struct PodNetworkConfiguration: Sendable, Equatable {
    /// The CNI network name; host-local keeps its leases under `ipamDataDirectory/<name>`, and
    /// the bridge and portmap plugins put it in their iptables comments.
    public var networkName: String
    public var bridgeName: String
    /// The node's spec.podCIDR, e.g. "10.42.0.0/24".
    public var podCIDR: IPv4Network
    /// Where host-local records leases; under the agent's data dir so pod IPs survive restarts.
    public var ipamDataDirectory: String
    /// Searched in order for each plugin binary (CNI_PATH).
    public var pluginDirectories: [String]
    /// nil lets the bridge plugin pick (1500); see `podMTU(mode:underlyingMTU:)`.
    public var mtu: Int?

    public init(
        networkName: String = "skiff", bridgeName: String = "skiff0", podCIDR: String,
        ipamDataDirectory: String, pluginDirectories: [String] = ["/opt/cni/bin", "/usr/lib/cni"],
        mtu: Int? = nil
    ) throws(RuntimeError) {
        guard !networkName.isEmpty, networkName.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            throw RuntimeError("CNI network name \(networkName.quoted) must be non-empty letters, digits, '-', '_' or '.'")
        }
        // IFNAMSIZ is 16 including the NUL.
        guard !bridgeName.isEmpty, bridgeName.utf8.count <= 15, !bridgeName.contains("/"), !bridgeName.contains(" ") else {
            throw RuntimeError("bridge name \(bridgeName.quoted) must be 1 to 15 characters without '/' or spaces")
        }
        guard ipamDataDirectory.hasPrefix("/") else {
            throw RuntimeError("IPAM data directory \(ipamDataDirectory.quoted) must be an absolute path")
        }
        self.networkName = networkName
        self.bridgeName = bridgeName
        self.podCIDR = try IPv4Network(podCIDR)
        guard self.podCIDR.prefixLength <= 30 else {
            throw RuntimeError("podCIDR \(podCIDR) leaves no room for pods (need a prefix of /30 or shorter)")
        }
        self.ipamDataDirectory = ipamDataDirectory
        self.pluginDirectories = pluginDirectories
        self.mtu = mtu
    }

    /// The MTU pods get on a node whose uplink (the interface holding its address) has
    /// `underlyingMTU`. `auto` pays VXLAN's overhead too: a peer on another subnet may join
    /// after a pod started, and a pod's MTU is fixed for its life.
    public static func podMTU(mode: PodNetworkMode, underlyingMTU: Int) -> Int {
        switch mode {
        case .hostGateway: underlyingMTU
        case .auto, .vxlan: underlyingMTU - PodNetworkMode.vxlanOverhead
        }
    }

    /// The conflist this configuration stands for (what a file in /etc/cni/net.d would hold).
    var conflist: JSON {
        var bridge: [String: JSON] = [
            "type": .string("bridge"),
            "bridge": .string(bridgeName),
            "isGateway": .bool(true),
            // Masquerade is the cross-node network's (SkiffPodNetwork's nft table, which spares
            // the cluster CIDR): the plugin's would hide pod IPs from pods on other nodes.
            "ipMasq": .bool(false),
            "hairpinMode": .bool(true),
            "ipam": .object([
                "type": .string("host-local"),
                "ranges": .array([.array([.object(["subnet": .string(podCIDR.description)])])]),
                "routes": .array([.object(["dst": .string("0.0.0.0/0")])]),
                "dataDir": .string(ipamDataDirectory),
            ]),
        ]
        if let mtu { bridge["mtu"] = mtu.json }
        return .object([
            "cniVersion": .string(CNI.version),
            "name": .string(networkName),
            "plugins": .array([
                .object(["type": .string("loopback")]),
                .object(bridge),
                .object([
                    "type": .string("portmap"),
                    "snat": .bool(true),
                    "capabilities": .object(["portMappings": .bool(true)]),
                ]),
            ]),
        ])
    }

    /// The conflist a pod is attached with: without portmap when it publishes no hostPort, as
    /// that plugin would be one more program run (and its iptables calls) per pod for nothing.
    /// Its DEL uses the same list, kept in the pod's sandbox record.
    func conflist(publishingPorts: Bool) -> JSON {
        guard !publishingPorts else { return conflist }
        var list = conflist
        list["plugins"] = .array((list["plugins"].array ?? []).filter { $0["type"].string != "portmap" })
        return list
    }

    /// The conflist as a file would hold it, for logs and for `docs/`.
    public var conflistJSON: String { conflist.prettyPrinted }
}
