import SkiffNetwork
import SkiffSystem

/// One IPv4 address, as a Node's InternalIP or a VTEP holds it.
public struct IPv4Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let value: UInt32

    public init(value: UInt32) { self.value = value }

    /// Parses a dotted quad; the error names the text and what it was meant to be.
    public init(_ text: String, naming what: String = "address") throws(RuntimeError) {
        guard let value = IPv4Network.parseAddress(text) else { throw RuntimeError("\(what) \(text.quoted) is not an IPv4 address") }
        self.value = value
    }

    public var description: String { IPv4Network.format(value) }

    public var octets: [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)] }

    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool { lhs.value < rhs.value }
}

extension IPv4Network {
    /// The network's mask as a number (a /24 is 0xffffff00).
    var netmask: UInt32 { prefixLength == 0 ? 0 : UInt32.max << (32 - prefixLength) }

    /// The first address: what flannel gives a node's VTEP (10.42.1.0 for 10.42.1.0/24).
    var networkAddress: IPv4Address { IPv4Address(value: address & netmask) }

    /// The same network written with its host bits cleared, as the kernel shows routes.
    var canonical: IPv4Network {
        // A prefix of 0...32 and a dotted quad always parse.
        (try? IPv4Network("\(networkAddress)/\(prefixLength)")) ?? self
    }

    func contains(_ address: IPv4Address) -> Bool { address.value & netmask == self.address & netmask }

    /// True if the two share any address.
    func overlaps(_ other: IPv4Network) -> Bool {
        let mask = prefixLength < other.prefixLength ? netmask : other.netmask
        return address & mask == other.address & mask
    }
}
