/// How pod traffic crosses between nodes: flannel's host-gw and VXLAN backends, and its VXLAN
/// backend with DirectRouting (`auto`).
public enum PodNetworkMode: String, Sendable, CaseIterable {
    /// A plain route to peers on the node's own subnet, VXLAN to the others.
    case auto
    /// A plain route to every peer; peers on another subnet cannot be reached.
    case hostGateway = "host-gw"
    /// VXLAN to every peer, also those one hop away.
    case vxlan

    /// Bytes VXLAN adds to each packet: outer IPv4 (20), UDP (8), VXLAN (8) and inner Ethernet
    /// (14) headers.
    public static let vxlanOverhead = 50
}
