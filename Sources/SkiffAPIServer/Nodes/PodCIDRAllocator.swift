import Foundation
import Synchronization

/// Hands out one /24 per node from the cluster CIDR (`--cluster-cidr`, 10.42.0.0/16 by default,
/// as k3s), the way kube-controller-manager's range allocator keeps its cidrset: an in-memory map
/// of which /24 is held by which Node, taken under a lock so two Nodes registering at the same
/// time can never get the same range, and searched from a rotating start so a range freed a
/// moment ago (its pods may still be winding down) is the last one handed out again.
///
/// The store stays the record of what is taken. The map is filled from a list of the Nodes
/// (`reconcile`), follows their writes (`occupy` when a Node with a range is stored, `release`
/// when one is deleted or a write fails), and is corrected by the next `reconcile`: a holder the
/// list no longer shows is dropped only if it was stored at or before the list's revision, so a
/// range handed out while the list was being read stays held.
public final class PodCIDRAllocator: Sendable {
    public static let defaultClusterCIDR = "10.42.0.0/16"
    public let clusterCIDR: String
    /// The cluster CIDR's network address and how many /24s it holds.
    private let base: UInt32
    let blocks: Int
    private let state = Mutex(State())

    /// Who holds a /24: a Node's uid, and the revision at which the store had it holding the
    /// range (nil while the write that records it is still in flight).
    struct Holder: Equatable {
        let node: String
        var revision: Int64?
    }

    struct State {
        var holders: [Int: Holder] = [:]
        /// Where the next search starts: one past the last range handed out.
        var next = 0
        /// The newest revision the map reflects; nil until the first `reconcile`.
        var revision: Int64?
    }

    /// A Node's range as the store shows it, for `reconcile`.
    struct StoredRange {
        let cidr: String
        let node: String
        let revision: Int64
    }

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
            inet_pton(AF_INET, String(parts[0]), &address) == 1, Self.isCIDR(clusterCIDR)
        else {
            throw PodCIDRError(message: "cluster CIDR \(clusterCIDR) must be an IPv4 network with a prefix between /8 and /24, e.g. 10.42.0.0/16")
        }
        self.init(clusterCIDR: clusterCIDR, base: UInt32(bigEndian: address.s_addr), blocks: 1 << (24 - prefix))
    }

    /// Whether a list of the Nodes has filled the map yet; `allocate` answers nil until then.
    var isSynced: Bool { state.withLock { $0.revision != nil } }

    /// The first free /24 from the rotating start, now held for `node` (a uid) until `occupy`
    /// confirms it or `release` gives it back; nil when every range is held.
    func allocate(for node: String) -> String? {
        state.withLock { state in
            guard state.revision != nil else { return nil }
            for offset in 0..<blocks {
                let block = (state.next + offset) % blocks
                guard state.holders[block] == nil else { continue }
                state.holders[block] = Holder(node: node, revision: nil)
                state.next = (block + 1) % blocks
                return cidr(ofBlock: block)
            }
            return nil
        }
    }

    /// Records that the store has `node` holding `cidr` as of `revision`. A range held by another
    /// Node stays with it: two Nodes given overlapping ranges by hand are the operator's to sort out.
    func occupy(_ cidr: String, node: String, revision: Int64) {
        guard let range = blockRange(of: cidr) else { return }
        state.withLock { state in
            for block in range where state.holders[block] == nil || state.holders[block]?.node == node {
                state.holders[block] = Holder(node: node, revision: revision)
            }
        }
    }

    /// Holds `cidr` for `node` unless another Node holds part of it: an update naming a range is
    /// accepted only after this. Ranges outside the cluster CIDR are the operator's: always true.
    func claim(_ cidr: String, node: String) -> Bool {
        guard let range = blockRange(of: cidr) else { return true }
        return state.withLock { state in
            guard range.allSatisfy({ state.holders[$0] == nil || state.holders[$0]?.node == node }) else { return false }
            for block in range where state.holders[block] == nil { state.holders[block] = Holder(node: node, revision: nil) }
            return true
        }
    }

    /// Frees `cidr` if `node` holds it: the Node was deleted (at `revision`), or the write that
    /// would have given it the range failed (`revision` nil).
    func release(_ cidr: String, node: String, revision: Int64? = nil) {
        guard let range = blockRange(of: cidr) else { return }
        state.withLock { state in
            for block in range where state.holders[block]?.node == node { state.holders[block] = nil }
            if let revision, let known = state.revision { state.revision = max(known, revision) }
        }
    }

    /// Makes the map agree with a list of every Node's range read at `revision`. A list older
    /// than what the map already reflects is ignored: it could bring back a deleted Node's range.
    func reconcile(_ stored: [StoredRange], at revision: Int64) {
        state.withLock { state in
            if let known = state.revision, known > revision { return }
            state.revision = revision
            let listed = Set(stored.map(\.node))
            state.holders = state.holders.filter { _, holder in
                guard let written = holder.revision else { return true }
                return written > revision || listed.contains(holder.node)
            }
            for range in stored {
                guard let blocks = blockRange(of: range.cidr) else { continue }
                for block in blocks where state.holders[block] == nil || state.holders[block]?.node == range.node {
                    state.holders[block] = Holder(node: range.node, revision: range.revision)
                }
            }
        }
    }

    /// How many /24s are held, in flight or stored.
    var heldCount: Int { state.withLock { $0.holders.count } }

    private func cidr(ofBlock block: Int) -> String {
        let network = base + UInt32(block) << 8
        return "\(network >> 24).\((network >> 16) & 255).\((network >> 8) & 255).0/24"
    }

    /// The /24 blocks of the cluster CIDR that `cidr` covers, or nil when it lies outside it.
    func blockRange(of cidr: String) -> Range<Int>? {
        let parts = cidr.split(separator: "/")
        var address = in_addr()
        guard parts.count == 2, let prefix = Int(parts[1]), (0...32).contains(prefix), inet_pton(AF_INET, String(parts[0]), &address) == 1 else {
            return nil
        }
        let network = UInt32(bigEndian: address.s_addr)
        guard network >= base else { return nil }
        let first = Int((network - base) >> 8)
        guard first < blocks else { return nil }
        let count = prefix >= 24 ? 1 : 1 << (24 - prefix)
        return first..<min(blocks, first + count)
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
