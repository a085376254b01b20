/// The compiled form of the policies on one node: named sets (pod addresses, peers, named
/// ports) and chains of nft rule text. Pods coming and going change only set elements, so a
/// sync whose chains and set declarations are unchanged sends just the sets that differ.
public struct PolicyRuleset: Sendable, Equatable {
    public struct NamedSet: Sendable, Equatable {
        public let name: String
        /// nft's type expression: `ipv4_addr`, or `ipv4_addr . inet_service` for named ports.
        public let type: String
        /// Elements are ranges ("a-b"); nft then wants them disjoint, which the compiler ensures.
        public let interval: Bool
        public var elements: [String]

        func declaration() -> NamedSet { NamedSet(name: name, type: type, interval: interval, elements: []) }
    }

    public struct Chain: Sendable, Equatable {
        public let name: String
        /// The base chain's hook line (`type filter hook forward priority 0; policy accept;`).
        public let hook: String?
        public let rules: [String]
    }

    public var sets: [NamedSet] = []
    /// In definition order: a chain is defined before any chain that jumps to it.
    public var chains: [Chain] = []

    public init(sets: [NamedSet] = [], chains: [Chain] = []) {
        self.sets = sets
        self.chains = chains
    }

    public func set(named name: String) -> NamedSet? { sets.first { $0.name == name } }
    public func chain(named name: String) -> Chain? { chains.first { $0.name == name } }

    /// One transaction that replaces the whole table (`add` first so `delete` never fails).
    public func fullScript(table: String) -> String {
        var script = "add table ip \(table)\ndelete table ip \(table)\ntable ip \(table) {\n"
        for set in sets {
            script += "\tset \(set.name) {\n\t\ttype \(set.type)\n"
            if set.interval { script += "\t\tflags interval\n" }
            if !set.elements.isEmpty { script += "\t\telements = { \(set.elements.joined(separator: ", ")) }\n" }
            script += "\t}\n"
        }
        for chain in chains {
            script += "\tchain \(chain.name) {\n"
            if let hook = chain.hook { script += "\t\t\(hook)\n" }
            for rule in chain.rules { script += "\t\t\(rule)\n" }
            script += "\t}\n"
        }
        return script + "}\n"
    }

    /// The script that turns `previous` (what the table holds) into this ruleset by rewriting
    /// only the sets whose elements changed; "" when nothing did, nil when chains or set
    /// declarations differ and only a full script will do.
    public func incrementalScript(from previous: PolicyRuleset, table: String) -> String? {
        guard previous.chains == chains, previous.sets.map({ $0.declaration() }) == sets.map({ $0.declaration() }) else { return nil }
        var script = ""
        for (old, new) in zip(previous.sets, sets) where old.elements != new.elements {
            script += "flush set ip \(table) \(new.name)\n"
            if !new.elements.isEmpty { script += "add element ip \(table) \(new.name) { \(new.elements.joined(separator: ", ")) }\n" }
        }
        return script
    }
}
