import SkiffAPI
import SkiffSystem

/// Compiles NetworkPolicies, the cluster's pods and namespaces into this node's ruleset. Pure:
/// the same input gives the same text, so tests read the rules and syncs diff them.
///
/// The forward hook sees every packet between a pod and anything but its own node (bridged
/// pod-to-pod traffic too, with bridge netfilter on). Replies of allowed connections pass
/// first. A packet from a local pod isolated for egress must be allowed by one of the egress
/// policies selecting it; then a packet to a local pod isolated for ingress must be allowed by
/// one of the ingress policies selecting it. Policies are additive: each policy's chain accepts
/// (ingress) or moves on to the ingress check (egress) when one of its rules matches, and the
/// packet is dropped when none did. Traffic the node itself sends to its pods takes the output
/// hook, never this one, so probes and node-local clients are not restricted.
public enum PolicyCompiler {
    public static func compile(policies: [NetworkPolicy], pods: [PolicyPod], namespaces: [PolicyNamespace]) -> PolicyRuleset {
        var compilation = Compilation(pods: pods.sorted { $0.ip < $1.ip }, namespaces: namespaces)
        for (index, policy) in policies.sorted(by: { $0.key < $1.key }).enumerated() { compilation.add(policy, index: index) }
        return compilation.ruleset()
    }

    static let forwardHook = "type filter hook forward priority 0; policy accept;"

    private struct Compilation {
        let pods: [PolicyPod]
        let namespaceLabels: [String: [String: String]]
        var ingressIsolated = Set<String>()
        var egressIsolated = Set<String>()
        var sets: [PolicyRuleset.NamedSet] = []
        var ingressChains: [PolicyRuleset.Chain] = []
        var egressChains: [PolicyRuleset.Chain] = []
        var ingressJumps: [String] = []
        var egressJumps: [String] = []

        init(pods: [PolicyPod], namespaces: [PolicyNamespace]) {
            self.pods = pods
            namespaceLabels = Dictionary(namespaces.map { ($0.name, $0.labels) }, uniquingKeysWith: { first, _ in first })
        }

        mutating func add(_ policy: NetworkPolicy, index: Int) {
            let namespace = policy.metadata.namespace
            let selected = pods.filter { $0.isLocal && $0.namespace == namespace && policy.podSelector.matches($0.labels) }
            let prefix = "policy-\(index)"
            let comment = "comment \"\(policy.key)\""
            sets.append(.init(name: "\(prefix)-pods", type: "ipv4_addr", interval: false, elements: selected.map(\.ip)))
            if policy.policyTypes.contains(.ingress) {
                ingressIsolated.formUnion(selected.map(\.ip))
                let rules = direction(policy.ingress, prefix: "\(prefix)-ingress", policyNamespace: namespace, ingressTargets: selected)
                ingressChains.append(.init(name: "\(prefix)-ingress", hook: nil, rules: rules))
                ingressJumps.append("ip daddr @\(prefix)-pods jump \(prefix)-ingress \(comment)")
            }
            if policy.policyTypes.contains(.egress) {
                egressIsolated.formUnion(selected.map(\.ip))
                let rules = direction(policy.egress, prefix: "\(prefix)-egress", policyNamespace: namespace, ingressTargets: nil)
                egressChains.append(.init(name: "\(prefix)-egress", hook: nil, rules: rules))
                egressJumps.append("ip saddr @\(prefix)-pods jump \(prefix)-egress \(comment)")
            }
        }

        /// The rules of one policy's ingress (`ingressTargets`: the pods it selects, whose
        /// named ports it opens) or egress (nil: named ports are the destination pods').
        mutating func direction(_ rules: [NetworkPolicyRule], prefix: String, policyNamespace: String, ingressTargets: [PolicyPod]?) -> [String] {
            let peerField = ingressTargets == nil ? "ip daddr" : "ip saddr"
            let verdict = ingressTargets == nil ? "goto after-egress" : "accept"
            var lines: [String] = []
            for (ruleIndex, rule) in rules.enumerated() {
                let name = "\(prefix)-\(ruleIndex)"
                var addressMatch = ""
                if !rule.peers.isEmpty {
                    let ranges = IPv4Ranges.merged(rule.peers.flatMap { peerRanges($0, policyNamespace: policyNamespace) })
                    // Peers that match no address allow nothing.
                    if ranges.isEmpty { continue }
                    sets.append(.init(name: "\(name)-peers", type: "ipv4_addr", interval: true, elements: ranges.map(IPv4Ranges.element)))
                    addressMatch = "\(peerField) @\(name)-peers "
                }
                if rule.ports.isEmpty {
                    lines.append("\(addressMatch)\(verdict)")
                    continue
                }
                for (portIndex, port) in rule.ports.enumerated() {
                    let proto = "meta l4proto \(port.protocol.rawValue.lowercased())"
                    switch port.port {
                    case nil: lines.append("\(addressMatch)\(proto) \(verdict)")
                    case .int(let number):
                        let range = port.endPort.map { $0 > number ? "\(number)-\($0)" : "\(number)" } ?? "\(number)"
                        lines.append("\(addressMatch)\(proto) th dport \(range) \(verdict)")
                    case .string(let portName):
                        // Resolved per destination pod: its address with the port its container gives that name.
                        let destinations = ingressTargets ?? pods
                        let elements = destinations.flatMap { pod in
                            pod.namedPorts.filter { $0.name == portName && $0.protocol == port.protocol }.map { "\(pod.ip) . \($0.port)" }
                        }
                        if elements.isEmpty { continue }
                        let setName = "\(name)-port-\(portIndex)"
                        sets.append(.init(name: setName, type: "ipv4_addr . inet_service", interval: false, elements: Array(Set(elements)).sorted()))
                        lines.append("\(addressMatch)\(proto) ip daddr . th dport @\(setName) \(verdict)")
                    }
                }
            }
            return lines
        }

        func peerRanges(_ peer: NetworkPolicyPeer, policyNamespace: String) -> [ClosedRange<UInt32>] {
            switch peer {
            case .ipBlock(let cidr, let except): return IPv4Ranges.subtracting(except, from: cidr)
            case .pods(let podSelector, let namespaceSelector):
                return pods.filter { pod in
                    let namespaceMatches =
                        namespaceSelector.map { $0.matches(namespaceLabels[pod.namespace] ?? [:]) } ?? (pod.namespace == policyNamespace)
                    return namespaceMatches && (podSelector?.matches(pod.labels) ?? true)
                }.compactMap { IPv4.parse($0.ip) }.map { $0...$0 }
            }
        }

        func ruleset() -> PolicyRuleset {
            var all = sets
            all.insert(.init(name: "ingress-isolated", type: "ipv4_addr", interval: false, elements: ingressIsolated.sorted()), at: 0)
            all.insert(.init(name: "egress-isolated", type: "ipv4_addr", interval: false, elements: egressIsolated.sorted()), at: 1)
            var chains = ingressChains
            chains.append(.init(name: "pod-ingress", hook: nil, rules: ingressJumps + ["drop"]))
            chains.append(.init(name: "after-egress", hook: nil, rules: ["ip daddr @ingress-isolated goto pod-ingress", "accept"]))
            chains += egressChains
            chains.append(.init(name: "pod-egress", hook: nil, rules: egressJumps + ["drop"]))
            chains.append(
                .init(
                    name: "forward", hook: PolicyCompiler.forwardHook,
                    rules: [
                        "ct state established,related accept", "ip saddr @egress-isolated goto pod-egress",
                        "ip daddr @ingress-isolated goto pod-ingress",
                    ]))
            return PolicyRuleset(sets: all, chains: chains)
        }
    }
}
