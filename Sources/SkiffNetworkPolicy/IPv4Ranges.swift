import SkiffAPI
import SkiffSystem

/// IPv4 address ranges as numbers: an ipBlock minus its exceptions, pods' addresses, merged
/// into the disjoint sorted ranges an nft interval set accepts (it refuses overlapping elements).
public enum IPv4Ranges {
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
        range.lowerBound == range.upperBound ? IPv4.format(range.lowerBound) : "\(IPv4.format(range.lowerBound))-\(IPv4.format(range.upperBound))"
    }
}
