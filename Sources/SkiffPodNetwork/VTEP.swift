import SkiffNetwork

/// A node's VXLAN tunnel end: an address and MAC inside the overlay, bound to the node's IP.
///
/// Both are derived from the Node's own fields, so a peer needs nothing published: the address
/// is the first of the node's podCIDR (flannel's choice: 10.42.1.0 for 10.42.1.0/24) and the
/// MAC is 02:6b followed by the node IP's four bytes (locally administered, unicast). Flannel
/// instead publishes a random MAC in an annotation; deriving it saves the agent that write and
/// its peers the wait for it.
public struct VTEP: Hashable, Sendable {
    public let address: IPv4Address
    public let mac: String
    public let nodeIP: IPv4Address

    public init(nodeIP: IPv4Address, podCIDR: IPv4Network) {
        self.nodeIP = nodeIP
        address = podCIDR.networkAddress
        mac = VTEP.mac(for: nodeIP)
    }

    /// The MAC a node with `nodeIP` gives its VXLAN device, lower case as iproute2 prints it.
    public static func mac(for nodeIP: IPv4Address) -> String {
        ([0x02, 0x6b] + nodeIP.octets).map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined(separator: ":")
    }

    /// The VXLAN device every node makes (IFNAMSIZ allows 15 characters).
    public static let deviceName = "skiff.vxlan"
    /// Flannel's VNI and the Linux VXLAN port it uses (not IANA's 4789), so a mixed cluster's
    /// firewall rules stay the same.
    public static let vni = 1
    public static let port = 8472
}
