import SkiffJSON
import SkiffNetwork
import SkiffSystem

/// The host interface holding the node's address. Its connected subnet decides which peers are
/// one hop away (host-gw); its MTU bounds the VXLAN device's and the pods'.
public struct Uplink: Sendable, Equatable {
    public var name: String
    public var mtu: Int
    /// The node address's subnet, e.g. 192.168.1.0/24 for 192.168.1.10/24.
    public var subnet: IPv4Network

    public init(name: String, mtu: Int, subnet: IPv4Network) {
        self.name = name
        self.mtu = mtu
        self.subnet = subnet.canonical
    }

    /// Finds the interface holding `nodeIP` in `ip -json addr show` output.
    static func find(_ nodeIP: IPv4Address, in links: JSON) throws(RuntimeError) -> Uplink {
        for link in links.array ?? [] {
            for address in link["addr_info"].array ?? []
            where address["family"].string == "inet" && address["local"].string == nodeIP.description {
                guard let name = link["ifname"].string, let mtu = link["mtu"].int, let length = address["prefixlen"].int,
                    let subnet = try? IPv4Network("\(nodeIP)/\(length)")
                else { throw RuntimeError("ip -json addr show gave an interface with \(nodeIP) but no name, MTU or prefix length") }
                return Uplink(name: name, mtu: Int(mtu), subnet: subnet)
            }
        }
        throw RuntimeError("no interface holds the node address \(nodeIP): the pod network needs the node's InternalIP on one of its interfaces")
    }
}
