import Glibc

/// An IPv4 or IPv6 address range in CIDR notation (`10.0.0.0/8`, `fd00::/64`), as a
/// NetworkPolicy's `ipBlock` names it. Host bits may be set ("10.0.0.1/8" is 10.0.0.0/8), as
/// Kubernetes' sloppy CIDR parser allows for stored objects.
public struct CIDR: Sendable, Hashable, CustomStringConvertible {
    /// The network address (host bits cleared), 4 or 16 bytes.
    public let bytes: [UInt8]
    public let prefixLength: Int

    /// Parses "address/length"; nil when either part is malformed or the length exceeds the
    /// family's width.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let length = Int(parts[1]), parts[1].allSatisfy(\.isASCII), parts[1].allSatisfy(\.isNumber) else { return nil }
        guard let address = Self.parseAddress(String(parts[0])) else { return nil }
        guard (0...(address.count * 8)).contains(length) else { return nil }
        bytes = Self.masked(address, to: length)
        prefixLength = length
    }

    public var isIPv4: Bool { bytes.count == 4 }

    /// Whether `other` lies inside this range (same family, at least as long a prefix).
    public func contains(_ other: CIDR) -> Bool {
        other.bytes.count == bytes.count && other.prefixLength >= prefixLength && Self.masked(other.bytes, to: prefixLength) == bytes
    }

    /// For IPv4: the first and last address as numbers; nil for IPv6.
    public var ipv4Range: ClosedRange<UInt32>? {
        guard isIPv4 else { return nil }
        let start = bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let hostMask: UInt32 = prefixLength == 0 ? UInt32.max : prefixLength == 32 ? 0 : (UInt32(1) << (32 - prefixLength)) - 1
        return start...(start | hostMask)
    }

    public var description: String {
        if isIPv4 { return bytes.map(String.init).joined(separator: ".") + "/\(prefixLength)" }
        var groups: [String] = []
        for index in stride(from: 0, to: 16, by: 2) { groups.append(String(UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1]), radix: 16)) }
        return groups.joined(separator: ":") + "/\(prefixLength)"
    }

    /// The address's bytes, or nil. The C library's parser, so IPv6's shorthand forms are read
    /// exactly as the kernel's tools read them.
    static func parseAddress(_ text: String) -> [UInt8]? {
        guard !text.isEmpty, text.allSatisfy(\.isASCII) else { return nil }
        if !text.contains(":") {
            var address = in_addr()
            guard inet_pton(AF_INET, text, &address) == 1 else { return nil }
            return withUnsafeBytes(of: &address) { Array($0) }
        }
        var address = in6_addr()
        guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
        return withUnsafeBytes(of: &address) { Array($0) }
    }

    static func masked(_ address: [UInt8], to length: Int) -> [UInt8] {
        address.enumerated().map { index, byte in
            let bits = min(max(length - index * 8, 0), 8)
            return bits == 8 ? byte : byte & ~(UInt8(0xff) >> bits)
        }
    }
}
