import SkiffJSON
import SkiffSystem

/// Addresses the agent's own services listen on, each on a link of its own so no other
/// interface's configuration moves them: the cluster DNS address (10.43.0.10) is one.
public enum HostAddresses {
    /// Makes `interface` a dummy link holding `address`/32 and nothing else, up. Doing it again
    /// changes nothing. Kernels built without the dummy driver get a bridge with no ports,
    /// which holds a local address the same way.
    public static func ensureDummy(interface: String, address: String, tools: NetworkTools = NetworkTools()) throws {
        let wanted = "\(try IPv4Address(address, naming: "the address for \(interface)"))/32"
        guard !interface.isEmpty, interface.utf8.count <= 15, !interface.contains("/"), !interface.contains(" ") else {
            throw RuntimeError("interface name \(interface.quoted) must be 1 to 15 characters without '/' or spaces")
        }
        var link = try find(interface, tools: tools)
        if let kind = link?["linkinfo"]["info_kind"].string, !["dummy", "bridge"].contains(kind) {
            throw RuntimeError("\(interface) exists as a \(kind) link; it is not ours to take over for \(address)")
        }
        if link == nil {
            let made = try tools.runAllowingFailure(.ip, ["link", "add", interface, "type", "dummy"])
            if made.status != .exited(0) {
                guard made.stderr.contains("Unknown device type") else {
                    throw RuntimeError("ip link add \(interface) type dummy failed (\(made.status)): \(made.stderr.trimmed)")
                }
                try tools.run(.ip, ["link", "add", interface, "type", "bridge"])
            }
            link = try find(interface, tools: tools)
        }
        var commands: [String] = []
        for held in addresses(of: link) where held != wanted {
            commands.append("address del \(held) dev \(interface)")
        }
        if !addresses(of: link).contains(wanted) { commands.append("address replace \(wanted) dev \(interface)") }
        if !((link?["flags"].array ?? []).contains(.string("UP"))) { commands.append("link set \(interface) up") }
        try tools.batch(.ip, commands)
    }

    /// Deletes the link `ensureDummy` made; none is fine.
    public static func removeDummy(interface: String, tools: NetworkTools = NetworkTools()) throws {
        guard let link = try find(interface, tools: tools) else { return }
        let kind = link["linkinfo"]["info_kind"].string ?? "unknown"
        guard ["dummy", "bridge"].contains(kind) else {
            throw RuntimeError("\(interface) is a \(kind) link, not the address link ensureDummy makes; left alone")
        }
        try tools.run(.ip, ["link", "del", interface])
    }

    private static func find(_ interface: String, tools: NetworkTools) throws -> JSON? {
        try tools.json(.ip, ["-details", "addr", "show"]).array?.first { $0["ifname"].string == interface }
    }

    private static func addresses(of link: JSON?) -> [String] {
        (link?["addr_info"].array ?? []).compactMap { entry in
            guard entry["family"].string == "inet", let local = entry["local"].string, let length = entry["prefixlen"].int else { return nil }
            return "\(local)/\(length)"
        }
    }
}
