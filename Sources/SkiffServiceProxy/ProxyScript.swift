import SkiffSystem

/// The `nft -f` scripts a sync sends: the whole table, or the difference between two rulesets.
/// Each script is one nft transaction, so the kernel switches from the old rules to the new ones
/// at once or not at all.
enum ProxyScript {
    /// Deletes and recreates the table with everything in `ruleset`. The leading `add table`
    /// makes the `delete` valid when the table does not exist yet.
    static func full(_ ruleset: ProxyRuleset, node: ProxyNode) -> String {
        let table = "ip \(node.tableName)"
        var script = "add table \(table)\ndelete table \(table)\n"
        script += base(node: node)
        for name in ruleset.affinitySets.keys.sorted() { script += addSet(name, timeout: ruleset.affinitySets[name] ?? 0, table: table) }
        let chainNames = ruleset.chains.keys.sorted()
        for name in chainNames { script += "add chain \(table) \(name)\n" }
        for name in chainNames { script += fill(name, ruleset.chains[name] ?? [], table: table) }
        for map in ProxyMap.allCases {
            let elements = ruleset.elements[map] ?? [:]
            script += addElements(elements.keys.sorted().map { "\($0) : \(elements[$0] ?? "")" }, to: map.rawValue, table: table)
        }
        return script
    }

    /// An incremental script and the chains it left in the table empty, to delete later.
    struct Patch: Equatable {
        var script: String
        var staleChains: Set<String>
    }

    /// The commands that turn the table from `old` into `new`, or nil when only a full rewrite
    /// can (an affinity set's timeout changed: a set in use cannot be redefined in place).
    /// The order matters within the transaction: a chain exists before rules or elements point
    /// at it, and nothing points at a chain or set any more when it is deleted.
    ///
    /// What it costs nft decides it: `add rule`, elements and `delete chain` make nft list
    /// every chain and set of the table first (seconds at 100,000 chains), while `add chain`
    /// with its rules inline and `flush chain` do not. So chains are filled inline, and the
    /// chains of vanished endpoints are only flushed, and deleted (`staleChains`, empty and
    /// unreferenced) by the next script that pays for the listing anyway — one that changes
    /// map elements or sets — or once there are `staleLimit` of them. An endpoint replaced
    /// during a rolling update then costs two chain definitions and a flush.
    static func incremental(
        from old: ProxyRuleset, to new: ProxyRuleset, node: ProxyNode, staleChains: Set<String> = [], staleLimit: Int = 1000
    ) -> Patch? {
        for (name, timeout) in new.affinitySets where old.affinitySets[name].map({ $0 != timeout }) ?? false { return nil }
        let table = "ip \(node.tableName)"
        var script = ""
        var listed = false
        for name in new.affinitySets.keys.sorted() where old.affinitySets[name] == nil {
            script += addSet(name, timeout: new.affinitySets[name] ?? 0, table: table)
            listed = true
        }
        // A stale chain coming back (its endpoint returned) is still in the table, empty:
        // `add chain` on it is harmless.
        let added = new.chains.keys.filter { old.chains[$0] == nil }.sorted()
        let changed = new.chains.keys.filter { old.chains[$0] != nil && old.chains[$0] != new.chains[$0] }.sorted()
        let removed = old.chains.keys.filter { new.chains[$0] == nil }.sorted()
        var stale = staleChains.subtracting(added)
        for name in added { script += "add chain \(table) \(name)\n" }
        for name in changed { script += "flush chain \(table) \(name)\n" }
        var additions: [ProxyMap: [String]] = [:]
        for map in ProxyMap.allCases {
            let before = old.elements[map] ?? [:]
            let after = new.elements[map] ?? [:]
            let gone = before.keys.filter { after[$0] != before[$0] }.sorted()
            if !gone.isEmpty {
                script += "delete element \(table) \(map.rawValue) { \(gone.joined(separator: ", ")) }\n"
                listed = true
            }
            additions[map] = after.keys.filter { after[$0] != before[$0] }.sorted().map { "\($0) : \(after[$0] ?? "")" }
            if !(additions[map] ?? []).isEmpty { listed = true }
        }
        for name in added + changed { script += fill(name, new.chains[name] ?? [], table: table) }
        for map in ProxyMap.allCases { script += addElements(additions[map] ?? [], to: map.rawValue, table: table) }
        for name in removed { script += "flush chain \(table) \(name)\n" }
        stale.formUnion(removed)
        let goneSets = old.affinitySets.keys.sorted().filter { new.affinitySets[$0] == nil }
        if !goneSets.isEmpty { listed = true }
        if listed || stale.count >= staleLimit {
            for name in stale.sorted() { script += "delete chain \(table) \(name)\n" }
            stale = []
        }
        for name in goneSets { script += "delete set \(table) \(name)\n" }
        return Patch(script: script, staleChains: stale)
    }

    /// Adds `rules` to the (existing, empty) chain `name` in one `add chain` command.
    private static func fill(_ name: String, _ rules: [String], table: String) -> String {
        rules.isEmpty ? "" : "add chain \(table) \(name) { \(rules.joined(separator: " ; ")) ; }\n"
    }

    /// The fixed part of the table: hooks, the maps, and the chains that read them.
    /// Priorities: DNAT at -100 (dstnat; the keyword is refused on output by nft 1.0.6),
    /// masquerade at 100 (srcnat), and the reject/drop checks at -110 in filter hooks, because
    /// reject is only allowed in input, forward and output.
    static func base(node: ProxyNode) -> String {
        let table = "ip \(node.tableName)"
        let addresses = node.nodePortAddresses.compactMap(IPv4.canonical)
        // With explicit NodePort addresses only those answer; otherwise any local address but
        // loopback (a NodePort on 127.0.0.1 would need route_localnet, as kube-proxy notes).
        let nodePortMatch = node.nodePortAddresses.isEmpty ? "fib daddr type local ip daddr != 127.0.0.0/8" : "ip daddr @nodeport-ips"
        var script = "add table \(table)\n"
        for map in ProxyMap.allCases { script += "add map \(table) \(map.rawValue) { type \(map.keyType) : verdict ; }\n" }
        script += "add set \(table) nodeport-ips { type ipv4_addr ; }\n"
        script += addElements(addresses, to: "nodeport-ips", table: table)
        let chains: [(String, String?, [String])] = [
            ("nat-prerouting", "type nat hook prerouting priority -100 ; policy accept ;", ["jump services"]),
            ("nat-output", "type nat hook output priority -100 ; policy accept ;", ["jump services"]),
            ("nat-postrouting", "type nat hook postrouting priority 100 ; policy accept ;", ["jump masquerading"]),
            (
                "filter-input", "type filter hook input priority -110 ; policy accept ;",
                ["ct state new jump nodeport-endpoints-check", "ct state new jump service-endpoints-check"]
            ),
            ("filter-forward", "type filter hook forward priority -110 ; policy accept ;", ["ct state new jump service-endpoints-check"]),
            ("filter-output", "type filter hook output priority -110 ; policy accept ;", ["ct state new jump service-endpoints-check"]),
            (
                "services", nil,
                [
                    "ip daddr . meta l4proto . th dport vmap @service-ips",
                    "\(nodePortMatch) meta l4proto . th dport vmap @service-nodeports",
                ]
            ),
            ("service-endpoints-check", nil, ["ip daddr . meta l4proto . th dport vmap @no-endpoint-services"]),
            ("nodeport-endpoints-check", nil, ["\(nodePortMatch) meta l4proto . th dport vmap @no-endpoint-nodeports"]),
            ("mark-for-masquerade", nil, ["meta mark set meta mark or 0x4000"]),
            (
                "masquerading", nil,
                ["meta mark & 0x4000 == 0 return", "meta mark set meta mark xor 0x4000", "masquerade fully-random"]
            ),
            // TCP clients get a reset, others ICMP port unreachable: both fail a connect at once.
            ("reject-chain", nil, ["meta l4proto tcp reject with tcp reset", "reject"]),
        ]
        for (name, hook, _) in chains { script += "add chain \(table) \(name)\(hook.map { " { \($0) }" } ?? "")\n" }
        for (name, _, rules) in chains {
            for rule in rules { script += "add rule \(table) \(name) \(rule)\n" }
        }
        return script
    }

    private static func addSet(_ name: String, timeout: Int, table: String) -> String {
        "add set \(table) \(name) { type ipv4_addr ; flags dynamic,timeout ; timeout \(timeout)s ; }\n"
    }

    /// Elements in batches: one command per thousand parses much faster than one each.
    private static func addElements(_ elements: [String], to set: String, table: String) -> String {
        var script = ""
        var start = 0
        while start < elements.count {
            let end = min(start + 1000, elements.count)
            script += "add element \(table) \(set) { \(elements[start..<end].joined(separator: ", ")) }\n"
            start = end
        }
        return script
    }
}
