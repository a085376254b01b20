/// The /24 node ranges of the cluster CIDR (`--cluster-cidr`), for finding one no Node holds.
/// The API server's allocator has the last word: it refuses a range another Node holds.
public struct ClusterCIDRRanges: Sendable {
    public let clusterCIDR: String
    let base: UInt32
    let blocks: Int

    /// `clusterCIDR` must be an IPv4 network with a prefix between /8 and /24.
    public init?(clusterCIDR: String) {
        guard let (network, prefix) = Self.parse(clusterCIDR), (8...24).contains(prefix) else { return nil }
        self.clusterCIDR = clusterCIDR
        base = network
        blocks = 1 << (24 - prefix)
    }

    /// The lowest /24 that none of `held` (CIDRs, of the cluster CIDR or not) overlaps.
    public func firstFree(excluding held: [String]) -> String? {
        var taken = Set<Int>()
        for cidr in held {
            guard let (network, prefix) = Self.parse(cidr), network >= base else { continue }
            let first = Int((network - base) >> 8)
            guard first < blocks else { continue }
            let count = prefix >= 24 ? 1 : 1 << (24 - prefix)
            taken.formUnion(first..<min(blocks, first + count))
        }
        guard let block = (0..<blocks).first(where: { !taken.contains($0) }) else { return nil }
        let network = base + UInt32(block) << 8
        return "\(network >> 24).\((network >> 16) & 255).\((network >> 8) & 255).0/24"
    }

    /// An IPv4 `a.b.c.d/prefix` as its address and prefix length; nil for anything else.
    static func parse(_ cidr: String) -> (UInt32, Int)? {
        let parts = cidr.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let prefix = Int(parts[1]), (0...32).contains(prefix) else { return nil }
        let octets = parts[0].split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt8($0) }
        guard octets.count == 4 else { return nil }
        return (octets.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }, prefix)
    }
}
