import SkiffNetwork

/// The nftables table that masquerades pod traffic leaving the cluster network, and only that:
/// pod-to-pod traffic between nodes keeps its source address (flannel's rules, in nft).
struct MasqueradeRules: Equatable, Sendable {
    static let family = "ip"
    static let table = "skiff-nat"

    var clusterCIDR: IPv4Network

    /// The one rule, as `nft list table` prints it back, so a sync can tell it is in place.
    var rule: String {
        // Multicast stays as it is: masquerading it would break protocols that check the sender.
        "ip saddr \(clusterCIDR) ip daddr != \(clusterCIDR) ip daddr != 224.0.0.0/4 masquerade fully-random"
    }

    /// An `nft -f` script that replaces the table in one transaction: declaring it first makes
    /// the delete succeed when it is absent, so the script is the same for a first sync and a
    /// later one.
    var script: String {
        """
        table \(Self.family) \(Self.table)
        delete table \(Self.family) \(Self.table)
        table \(Self.family) \(Self.table) {
        \tchain postrouting {
        \t\ttype nat hook postrouting priority srcnat; policy accept;
        \t\t\(rule)
        \t}
        }

        """
    }

    /// Removes the table; the same declare-then-delete makes it a no-op when it is absent.
    static let removal = "table \(family) \(table)\ndelete table \(family) \(table)\n"

    /// True if `listing` (`nft list table ip skiff-nat`) holds exactly our chain and rule.
    func isInPlace(listing: String) -> Bool {
        let lines = listing.split(whereSeparator: \.isNewline).map(\.trimmed)
        return lines.contains("chain postrouting {") && lines.contains("type nat hook postrouting priority srcnat; policy accept;")
            && lines.filter({ $0.contains("masquerade") }) == [rule]
    }
}
