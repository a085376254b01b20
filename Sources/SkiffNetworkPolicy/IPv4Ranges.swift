import SkiffAPI

/// IPv4 address ranges as numbers: an ipBlock minus its exceptions, pods' addresses, merged
/// into the disjoint sorted ranges an nft interval set accepts (it refuses overlapping elements).
public enum IPv4Ranges {
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

    public static func format(_ address: UInt32) -> String {
        "\(address >> 24).\(address >> 16 & 0xff).\(address >> 8 & 0xff).\(address & 0xff)"
    }

    /// `block` without the addresses of `except`; empty for IPv6 blocks (the table is IPv4 only).
    public static func subtracting(_ except: [CIDR], from block: CIDR) -> [ClosedRange<UInt32>] {
        guard let whole = block.ipv4Range else { return [] }
        var remaining = [whole]
        for hole in except.compactMap(\.ipv4Range) {
            remaining = remaining.flatMap { range -> [ClosedRange<UInt32>] in
                guard range.overlaps(hole) else { return [range] }
                var pieces: [ClosedRange<UInt32>] = []
                if hole.lowerBound > range.lowerBound { pieces.append(range.lowerBound...(hole.lowerBound - 1)) }
                if hole.upperBound < range.upperBound { pieces.append((hole.upperBound + 1)...range.upperBound) }
                return pieces
            }
        }
        return remaining
    }

    /// Sorted, with overlapping and adjacent ranges joined.
    public static func merged(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var result: [ClosedRange<UInt32>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = result.last, last.upperBound == UInt32.max || range.lowerBound <= last.upperBound + 1 {
                result[result.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                result.append(range)
            }
        }
        return result
    }

    /// An nft interval set element: an address, or "first-last".
    public static func element(_ range: ClosedRange<UInt32>) -> String {
        range.lowerBound == range.upperBound ? format(range.lowerBound) : "\(format(range.lowerBound))-\(format(range.upperBound))"
    }
}
