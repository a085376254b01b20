import SkiffNetwork

/// The part of a host's network the pod network owns: the VXLAN device, the routes marked with
/// our protocol number, and the device's neighbour and forwarding entries. The same shape
/// describes what a sync wants (`PodNetworkPlan`) and what the kernel has (`+Parsing`), so a
/// sync is their difference (`+Changes`).
struct NetworkState: Equatable, Sendable {
    /// flannel's vxlan device, nil when no peer needs it (host-gw mode).
    var device: Device?
    /// IPv4 addresses on the device, "10.42.1.0/32".
    var deviceAddresses: [String] = []
    var routes: [Route] = []
    var neighbours: [Neighbour] = []
    var forwarding: [ForwardingEntry] = []

    /// `ip route … proto 115` marks our routes, so a later agent finds and cleans what an
    /// earlier one left (115 is "s"; iproute2 and the kernel reserve no name for it).
    static let routeProtocol = 115

    struct Device: Equatable, Sendable {
        var name: String = VTEP.deviceName
        var vni: Int = VTEP.vni
        var port: Int = VTEP.port
        var local: IPv4Address
        /// The uplink the tunnel's UDP leaves through.
        var underlying: String?
        var learning = false
        var mtu: Int
        var mac: String
        var up = true

        /// What only re-creating the device changes; the rest `ip link set` fixes in place.
        func sameTunnel(as other: Device) -> Bool {
            name == other.name && vni == other.vni && port == other.port && local == other.local && learning == other.learning
                && (underlying == nil || other.underlying == nil || underlying == other.underlying)
        }
    }

    /// `destination via gateway dev device [onlink]`, in the main table.
    struct Route: Hashable, Sendable {
        var destination: IPv4Network
        var gateway: IPv4Address
        var device: String
        /// VXLAN routes name a gateway (the peer's VTEP) that no subnet on the device covers.
        var onlink: Bool
    }

    /// A permanent ARP entry on the device: the peer VTEP's address → its MAC.
    struct Neighbour: Hashable, Sendable {
        var address: IPv4Address
        var mac: String
    }

    /// A VXLAN forwarding entry: frames for the peer VTEP's MAC go in UDP to the peer node.
    struct ForwardingEntry: Hashable, Sendable {
        var mac: String
        var destination: IPv4Address
    }
}
