import Foundation
import Synchronization

/// Hands out one /24 per node from the cluster CIDR (`--cluster-cidr`, 10.42.0.0/16 by default,
/// as k3s). The store is the record of what is taken (each Node's spec.podCIDR); recent picks are
/// also held here for a minute so two Nodes created at the same time cannot get the same range
/// before either is stored.
public final class PodCIDRAllocator: Sendable {
    public static let defaultClusterCIDR = "10.42.0.0/16"
    static let reservationLifetime: TimeInterval = 60
    public let clusterCIDR: String
    /// The cluster CIDR's network address and how many /24s it holds.
    private let base: UInt32
    private let blocks: Int
    private let reserved = Mutex<[String: Date]>([:])

    /// The default range, 10.42.0.0/16: 256 node CIDRs.
    public convenience init() {
        self.init(clusterCIDR: Self.defaultClusterCIDR, base: 0x0A2A_0000, blocks: 256)
    }

    private init(clusterCIDR: String, base: UInt32, blocks: Int) {
        self.clusterCIDR = clusterCIDR
        self.base = base
        self.blocks = blocks
    }

    /// `clusterCIDR` must be an IPv4 CIDR with a prefix of /24 or shorter.
    public convenience init(clusterCIDR: String) throws {
        let parts = clusterCIDR.split(separator: "/")
        var address = in_addr()
        guard parts.count == 2, let prefix = Int(parts[1]), (8...24).contains(prefix),
              inet_pton(AF_INET, String(parts[0]), &address) == 1, Self.isCIDR(clusterCIDR) else {
            throw PodCIDRError(message: "cluster CIDR \(clusterCIDR) must be an IPv4 network with a prefix between /8 and /24, e.g. 10.42.0.0/16")
        }
        self.init(clusterCIDR: clusterCIDR, base: UInt32(bigEndian: address.s_addr), blocks: 1 << (24 - prefix))
    }

    /// The first /24 not in `used` nor recently handed out, or nil when all are taken.
    func allocate(used: Set<String>, now: Date = Date()) -> String? {
        reserved.withLock { reserved in
            reserved = reserved.filter { now.timeIntervalSince($0.value) < Self.reservationLifetime }
            for block in 0..<blocks {
                let network = base + UInt32(block) << 8
                let candidate = "\(network >> 24).\((network >> 16) & 255).\((network >> 8) & 255).0/24"
                if !used.contains(candidate) && reserved[candidate] == nil {
                    reserved[candidate] = now
                    return candidate
                }
            }
            return nil
        }
    }

    /// Whether `text` is a CIDR (`address/prefix`, IPv4 or IPv6) in canonical form: the address
    /// is the network address (no host bits set), as Kubernetes requires of podCIDR.
    static func isCIDR(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let prefix = Int(parts[1]), String(prefix) == parts[1] else { return false }
        var v4 = in_addr()
        if inet_pton(AF_INET, String(parts[0]), &v4) == 1 {
            guard (0...32).contains(prefix) else { return false }
            let address = UInt32(bigEndian: v4.s_addr)
            let hostMask: UInt32 = prefix == 32 ? 0 : UInt32.max >> UInt32(prefix)
            return address & hostMask == 0
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, String(parts[0]), &v6) == 1 {
            guard (0...128).contains(prefix) else { return false }
            let bytes = withUnsafeBytes(of: &v6) { Array($0) }
            for bit in prefix..<128 where bytes[bit / 8] & (0x80 >> UInt8(bit % 8)) != 0 { return false }
            return true
        }
        return false
    }
}

/// A cluster CIDR the allocator cannot use.
public struct PodCIDRError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}
