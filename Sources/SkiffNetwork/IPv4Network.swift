import SkiffSystem

/// An IPv4 address with a prefix length, as in a node's podCIDR ("10.42.0.0/24").
public struct IPv4Network: Equatable, Hashable, Sendable, CustomStringConvertible {
    public let address: UInt32
    public let prefixLength: Int

    /// Parses "a.b.c.d/n"; the error names what is wrong with the text.
    public init(_ text: String) throws(RuntimeError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let length = Int(parts[1]), (0...32).contains(length) else {
            throw RuntimeError("\(text.quoted) is not an IPv4 CIDR like 10.42.0.0/24 (missing or bad /prefix)")
        }
        guard let address = IPv4Network.parseAddress(String(parts[0])) else {
            throw RuntimeError("\(text.quoted) is not an IPv4 CIDR like 10.42.0.0/24 (bad address)")
        }
        self.address = address
        self.prefixLength = length
    }

    /// The dotted quad as a number, or nil if `text` is not one.
    public static func parseAddress(_ text: String) -> UInt32? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var value: UInt32 = 0
        for octet in octets {
            guard !octet.isEmpty, octet.count <= 3, let byte = UInt8(octet) else { return nil }
            value = value << 8 | UInt32(byte)
        }
        return value
    }

    public static func format(_ address: UInt32) -> String {
        "\(address >> 24).\(address >> 16 & 0xff).\(address >> 8 & 0xff).\(address & 0xff)"
    }

    var mask: UInt32 { prefixLength == 0 ? 0 : UInt32.max << (32 - prefixLength) }

    public func contains(_ address: String) -> Bool {
        guard let value = IPv4Network.parseAddress(address) else { return false }
        return value & mask == self.address & mask
    }

    public var description: String { "\(IPv4Network.format(address))/\(prefixLength)" }
}
