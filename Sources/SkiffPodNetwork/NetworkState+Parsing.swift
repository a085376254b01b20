import SkiffJSON
import SkiffNetwork

/// Reading the kernel's state from iproute2's JSON (`ip -json`, `bridge -json`).
extension NetworkState {
    /// The device named `deviceName` and its IPv4 addresses, from `ip -details -json addr show`.
    static func device(named deviceName: String, in links: JSON) -> (device: Device?, addresses: [String]) {
        guard let link = (links.array ?? []).first(where: { $0["ifname"].string == deviceName }) else { return (nil, []) }
        let addresses = (link["addr_info"].array ?? []).compactMap { address -> String? in
            guard address["family"].string == "inet", let local = address["local"].string, let length = address["prefixlen"].int else { return nil }
            return "\(local)/\(length)"
        }
        let info = link["linkinfo"]["info_data"]
        // Something else by our name (a bridge, a VXLAN without a local address) is replaced.
        guard link["linkinfo"]["info_kind"].string == "vxlan", let local = info["local"].string.flatMap(IPv4Network.parseAddress) else {
            return (Device(vni: -1, local: IPv4Address(value: 0), mtu: 0, mac: ""), addresses)
        }
        let device = Device(
            name: deviceName, vni: Int(info["id"].int ?? -1), port: Int(info["port"].int ?? -1), local: IPv4Address(value: local),
            underlying: info["link"].string, learning: info["learning"].bool ?? true, mtu: Int(link["mtu"].int ?? 0),
            mac: link["address"].string ?? "", up: (link["flags"].array ?? []).contains(.string("UP")))
        return (device, addresses)
    }

    /// Routes from `ip -json route show proto 115`; anything we could not have made is left out.
    static func routes(in list: JSON) -> [Route] {
        (list.array ?? []).compactMap { route in
            guard var destination = route["dst"].string, let gateway = route["gateway"].string.flatMap(IPv4Network.parseAddress),
                let device = route["dev"].string
            else { return nil }
            if !destination.contains("/") { destination += "/32" }
            guard let network = try? IPv4Network(destination) else { return nil }
            let onlink = (route["flags"].array ?? []).contains(.string("onlink"))
            return Route(destination: network, gateway: IPv4Address(value: gateway), device: device, onlink: onlink)
        }
    }

    /// Permanent entries from `ip -json neigh show dev DEVICE` (the kernel's own, such as
    /// FAILED or STALE ones, come and go by themselves).
    static func neighbours(in list: JSON) -> [Neighbour] {
        (list.array ?? []).compactMap { entry in
            guard (entry["state"].array ?? []).contains(.string("PERMANENT")), let address = entry["dst"].string.flatMap(IPv4Network.parseAddress),
                let mac = entry["lladdr"].string
            else { return nil }
            return Neighbour(address: IPv4Address(value: address), mac: mac.lowercased())
        }
    }

    /// Entries with a remote from `bridge -json fdb show dev DEVICE`.
    static func forwarding(in list: JSON) -> [ForwardingEntry] {
        (list.array ?? []).compactMap { entry in
            guard let mac = entry["mac"].string, let destination = entry["dst"].string.flatMap(IPv4Network.parseAddress) else { return nil }
            return ForwardingEntry(mac: mac.lowercased(), destination: IPv4Address(value: destination))
        }
    }
}
