/// Dotted-quad IPv4 text and numbers, for what goes into nft rules (the service proxy's and the
/// network policy's): anything else must not reach nft's parser, where one bad token would fail
/// the whole transaction.
public enum IPv4 {
    /// The address as a number, or nil if `text` is not exactly four decimal octets.
    public static func parse(_ text: String) -> UInt32? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var value: UInt32 = 0
        for octet in octets {
            guard !octet.isEmpty, octet.count <= 3, octet.allSatisfy(\.isASCII), let byte = UInt8(octet) else { return nil }
            value = value << 8 | UInt32(byte)
        }
        return value
    }

    /// The canonical text of an address ("010.1.2.3" is read as 10.1.2.3 and written so).
    public static func format(_ address: UInt32) -> String {
        "\(address >> 24).\(address >> 16 & 0xff).\(address >> 8 & 0xff).\(address & 0xff)"
    }

    /// The canonical text of `text`, or nil when it is not an IPv4 address.
    public static func canonical(_ text: String) -> String? {
        parse(text).map(format)
    }

    /// "a.b.c.d/n" in canonical form with the host bits cleared, or nil when it is not one.
    public static func canonicalCIDR(_ text: String) -> String? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let length = Int(parts[1]), (0...32).contains(length), let address = parse(String(parts[0])) else {
            return nil
        }
        let mask: UInt32 = length == 0 ? 0 : UInt32.max << (32 - length)
        return "\(format(address & mask))/\(length)"
    }
}
