import SkiffSystem

extension ProxyRuleset {
    /// The ruleset for `services` on `node`, and what was left out.
    static func build(services: [ProxyService], node: ProxyNode) -> (ruleset: ProxyRuleset, skipped: [ProxySkip]) {
        let clusterCIDR = node.clusterCIDR.flatMap(IPv4.canonicalCIDR)
        let assembly = ProxyAssembly(services.map { ($0, ServiceRenderer.render($0, clusterCIDR: clusterCIDR)) })
        return (ProxyRuleset(merging: assembly.fragments.values), assembly.skipped)
    }

    /// The union of fragments, whose names and keys are disjoint by construction.
    init(merging fragments: some Sequence<PortFragment>) {
        self.init()
        for fragment in fragments { merge(fragment.ruleset) }
    }

    mutating func merge(_ other: ProxyRuleset) {
        chains.merge(other.chains) { first, _ in first }
        affinitySets.merge(other.affinitySets) { first, _ in first }
        for (map, entries) in other.elements { elements[map, default: [:]].merge(entries) { first, _ in first } }
        udpFlows.formUnion(other.udpFlows)
        servedUDP.formUnion(other.servedUDP)
    }
}

/// One Service port's part of the table, rendered on its own so an unchanged Service is not
/// rendered again and a sync diffs only the ports that changed.
struct PortFragment: Sendable, Equatable {
    /// "namespace/name/protocol/port-name/port": unique among a Service's valid ports.
    var id: String
    /// How the port is named in a ProxySkip.
    var label: String
    var namespace: String
    var name: String
    /// What this port takes exclusively: VIP ports, NodePorts and its chain names. The first
    /// Service (in namespace/name order) to claim one keeps it.
    var claims: [String]
    var ruleset: ProxyRuleset
}

/// A Service rendered alone: its ports' fragments and what it left out.
struct RenderedService: Sendable, Equatable {
    var fragments: [PortFragment] = []
    var skipped: [ProxySkip] = []
}

/// Puts rendered Services together: in namespace/name order, so when two claim the same VIP
/// port or NodePort the same one wins on every sync, and the loser's port is skipped instead
/// of breaking the transaction.
struct ProxyAssembly {
    /// The ports in the table, by fragment id.
    var fragments: [String: PortFragment] = [:]
    var skipped: [ProxySkip] = []

    init(_ rendered: [(service: ProxyService, rendered: RenderedService)]) {
        var owners: [String: String] = [:]
        var seenServices: Set<String> = []
        for (service, result) in rendered.sorted(by: { ($0.service.namespace, $0.service.name) < ($1.service.namespace, $1.service.name) }) {
            let owner = "\(service.namespace)/\(service.name)"
            guard seenServices.insert(owner).inserted else {
                skipped.append(ProxySkip(namespace: service.namespace, name: service.name, reason: "the Service is listed twice; the first is used"))
                continue
            }
            skipped += result.skipped
            for fragment in result.fragments {
                if let clash = fragment.claims.first(where: { owners[$0] != nil }) {
                    let what =
                        clash.hasPrefix("chain ")
                        ? "its chain names collide with those" : "\(clash.split(separator: " . ").joined(separator: " ")) is already served"
                    skipped.append(
                        ProxySkip(namespace: service.namespace, name: service.name, port: fragment.label, reason: "\(what) by \(owners[clash] ?? "")"))
                    continue
                }
                for claim in fragment.claims { owners[claim] = owner }
                fragments[fragment.id] = fragment
            }
        }
    }
}

/// Renders one Service: validates it (bad input is skipped with a reason, never passed to nft)
/// and builds each port's chains, sets and map elements.
struct ServiceRenderer {
    let clusterCIDR: String?
    private var ruleset = ProxyRuleset()
    private var result = RenderedService()

    static func render(_ service: ProxyService, clusterCIDR: String?) -> RenderedService {
        var renderer = ServiceRenderer(clusterCIDR: clusterCIDR)
        renderer.add(service)
        return renderer.result
    }

    private init(clusterCIDR: String?) {
        self.clusterCIDR = clusterCIDR
    }

    private mutating func add(_ service: ProxyService) {
        func skip(_ port: String, _ reason: String) {
            result.skipped.append(ProxySkip(namespace: service.namespace, name: service.name, port: port, reason: reason))
        }
        // IPv6 addresses belong to an ip6 table this proxy does not program; anything else
        // that is not an IPv4 address is bad input.
        var clusterIPs: [String] = []
        for text in service.clusterIPs where !text.contains(":") {
            if let address = IPv4.canonical(text) { clusterIPs.append(address) } else { skip("", "clusterIP \(text.debugDescription) is not an IPv4 address") }
        }
        var loadBalancerIPs: [String] = []
        if service.type == .loadBalancer {
            for text in service.loadBalancerIPs where !text.contains(":") {
                if let address = IPv4.canonical(text) {
                    loadBalancerIPs.append(address)
                } else {
                    skip("", "load balancer IP \(text.debugDescription) is not an IPv4 address")
                }
            }
        }
        guard !clusterIPs.isEmpty || !loadBalancerIPs.isEmpty || service.type != .clusterIP else {
            return skip("", "no IPv4 clusterIP to serve")
        }
        var affinityTimeout = service.sessionAffinityTimeoutSeconds
        if let timeout = affinityTimeout, !(1...86_400).contains(timeout) {
            skip("", "sessionAffinity timeout \(timeout)s is outside 1…86400; affinity is off")
            affinityTimeout = nil
        }
        var seenPorts: Set<String> = []
        for port in service.ports {
            let label = port.name.isEmpty ? "\(port.port)/\(port.protocol.rawValue)" : port.name
            guard (1...65_535).contains(port.port) else {
                skip(label, "port \(port.port) is outside 1…65535")
                continue
            }
            guard seenPorts.insert("\(port.protocol.nftName) . \(port.port)").inserted else {
                skip(label, "port \(port.port)/\(port.protocol.rawValue) is listed twice in the Service; the first is used")
                continue
            }
            var nodePort: Int?
            if service.type != .clusterIP, let number = port.nodePort {
                if (1...65_535).contains(number) { nodePort = number } else { skip(label, "nodePort \(number) is outside 1…65535") }
            }
            let proto = port.protocol.nftName
            let names = ChainNames(namespace: service.namespace, name: service.name, protocol: port.protocol, portName: port.name)
            // Two ports with one name would share chains (Kubernetes forbids it; input may not).
            guard !result.fragments.contains(where: { $0.claims.contains("chain \(names.service)") }) else {
                skip(label, "port name \(port.name.debugDescription) is used twice in the Service; the first is used")
                continue
            }
            let claims =
                (clusterIPs + loadBalancerIPs).map { "\($0) . \(proto) . \(port.port)" } + (nodePort.map { ["\(proto) . \($0)"] } ?? [])
                + ["chain \(names.service)"]
            var endpoints: [ProxyEndpoint] = []
            var seenEndpoints: Set<String> = []
            for endpoint in port.endpoints {
                guard let address = IPv4.canonical(endpoint.address) else {
                    if !endpoint.address.contains(":") { skip(label, "endpoint \(endpoint.address.debugDescription) is not an IPv4 address") }
                    continue
                }
                guard (1...65_535).contains(endpoint.port) else {
                    skip(label, "endpoint \(address) has port \(endpoint.port), outside 1…65535")
                    continue
                }
                guard seenEndpoints.insert("\(address):\(endpoint.port)").inserted else { continue }
                var canonical = endpoint
                canonical.address = address
                endpoints.append(canonical)
            }
            ruleset = ProxyRuleset()
            add(
                port: port, nodePort: nodePort, endpoints: endpoints, names: names, service: service, clusterIPs: clusterIPs,
                loadBalancerIPs: loadBalancerIPs, affinityTimeout: affinityTimeout)
            result.fragments.append(
                PortFragment(
                    id: "\(names.servicePortKey)/\(port.port)", label: label, namespace: service.namespace, name: service.name, claims: claims,
                    ruleset: ruleset))
        }
    }

    // The endpoints a traffic policy may use, as kube-proxy chooses them: the ready ones, or,
    // when none is ready, those still serving while they terminate (so a rolling update's last
    // old pod keeps answering until its replacement is ready).
    private static func usable(_ endpoints: [ProxyEndpoint]) -> [ProxyEndpoint] {
        let ready = endpoints.filter(\.ready)
        return ready.isEmpty ? endpoints.filter { $0.serving && $0.terminating } : ready
    }

    private mutating func add(
        port: ProxyServicePort, nodePort: Int?, endpoints: [ProxyEndpoint], names: ChainNames, service: ProxyService,
        clusterIPs: [String], loadBalancerIPs: [String], affinityTimeout: Int?
    ) {
        let proto = port.protocol.nftName
        let cluster = Self.usable(endpoints)
        let local = Self.usable(endpoints.filter(\.isLocal))
        let internalEndpoints = service.internalTrafficPolicyLocal ? local : cluster
        let hasExternal = service.type != .clusterIP && (nodePort != nil || !loadBalancerIPs.isEmpty)
        let externalEndpoints = service.externalTrafficPolicyLocal ? local : cluster
        // With no endpoints at all the connection is refused at once; with endpoints elsewhere
        // but none this policy may use, packets are dropped (kube-proxy's behaviour): a client
        // of a Local policy should go to another node, not be told nothing listens.
        let internalVerdict = internalEndpoints.isEmpty ? (cluster.isEmpty ? "goto reject-chain" : "drop") : "goto \(names.service)"
        let externalVerdict = externalEndpoints.isEmpty ? (cluster.isEmpty ? "goto reject-chain" : "drop") : "goto \(names.external)"
        let usesCluster =
            !cluster.isEmpty && ((!internalEndpoints.isEmpty && !service.internalTrafficPolicyLocal) || (hasExternal && !externalEndpoints.isEmpty))
        let usesLocal =
            !local.isEmpty
            && ((!internalEndpoints.isEmpty && service.internalTrafficPolicyLocal)
                || (hasExternal && !externalEndpoints.isEmpty && service.externalTrafficPolicyLocal))

        var endpointChains: [ProxyEndpoint] = []
        if usesCluster { endpointChains += cluster }
        if usesLocal { endpointChains += local.filter { !endpointChains.contains($0) } }
        for endpoint in endpointChains {
            var rules = ["ip saddr \(endpoint.address) jump mark-for-masquerade"]  // hairpin: the reply must come back through us
            if let timeout = affinityTimeout {
                ruleset.affinitySets[names.affinity(endpoint)] = timeout
                rules.append("update @\(names.affinity(endpoint)) { ip saddr }")
            }
            rules.append("meta l4proto \(proto) dnat to \(endpoint.address):\(endpoint.port)")
            ruleset.chains[names.endpoint(endpoint)] = rules
        }
        if usesCluster { ruleset.chains[names.cluster] = Self.balancing(cluster, names: names, affinity: affinityTimeout != nil) }
        if usesLocal { ruleset.chains[names.local] = Self.balancing(local, names: names, affinity: affinityTimeout != nil) }

        if !internalEndpoints.isEmpty {
            var rules: [String] = []
            // Clients outside the pod network (the node itself, other hosts) get the node's
            // address as source, or the endpoint's reply would bypass our un-DNAT.
            if let clusterCIDR { rules.append("ip saddr != \(clusterCIDR) jump mark-for-masquerade") }
            rules.append("goto \(service.internalTrafficPolicyLocal ? names.local : names.cluster)")
            ruleset.chains[names.service] = rules
        }
        let internalMap: ProxyMap = internalEndpoints.isEmpty ? .noEndpointServices : .serviceIPs
        for address in clusterIPs { ruleset.elements[internalMap, default: [:]]["\(address) . \(proto) . \(port.port)"] = internalVerdict }

        if hasExternal {
            if !externalEndpoints.isEmpty {
                ruleset.chains[names.external] = externalRules(names: names, local: service.externalTrafficPolicyLocal)
            }
            let addressMap: ProxyMap = externalEndpoints.isEmpty ? .noEndpointServices : .serviceIPs
            for address in loadBalancerIPs { ruleset.elements[addressMap, default: [:]]["\(address) . \(proto) . \(port.port)"] = externalVerdict }
            if let nodePort {
                let portMap: ProxyMap = externalEndpoints.isEmpty ? .noEndpointNodePorts : .serviceNodePorts
                ruleset.elements[portMap, default: [:]]["\(proto) . \(nodePort)"] = externalVerdict
            }
        }

        guard port.protocol == .udp else { return }
        var destinations: [(UDPDestination, [ProxyEndpoint])] = clusterIPs.map { (UDPDestination(address: $0, port: port.port), internalEndpoints) }
        if hasExternal {
            destinations += loadBalancerIPs.map { (UDPDestination(address: $0, port: port.port), externalEndpoints) }
            if let nodePort { destinations.append((UDPDestination(address: nil, port: nodePort), externalEndpoints)) }
        }
        for (destination, endpoints) in destinations where !endpoints.isEmpty {
            ruleset.servedUDP.insert(destination)
            for endpoint in endpoints { ruleset.udpFlows.insert(UDPFlow(destination: destination, endpoint: endpoint.address)) }
        }
    }

    /// Affinity lookups first (a source seen recently goes back to its endpoint), then a random
    /// pick among `endpoints`. The pick is a rule per endpoint, not kube-proxy's `numgen … vmap`:
    /// nft scans every map in the table for each rule it adds, so a map per Service made
    /// programming 10,000 Services quadratic (kube-proxy met the same, kubernetes#139513). Each
    /// rule draws afresh; taking endpoint i with probability 1/(N−i) among those left gives
    /// every endpoint 1/N, as kube-proxy's iptables mode does with `statistic` rules.
    private static func balancing(_ endpoints: [ProxyEndpoint], names: ChainNames, affinity: Bool) -> [String] {
        var rules: [String] = []
        if affinity {
            for endpoint in endpoints { rules.append("ip saddr @\(names.affinity(endpoint)) goto \(names.endpoint(endpoint))") }
        }
        for (index, endpoint) in endpoints.enumerated() {
            let left = endpoints.count - index
            rules.append(left > 1 ? "numgen random mod \(left) == 0 goto \(names.endpoint(endpoint))" : "goto \(names.endpoint(endpoint))")
        }
        return rules
    }

    /// NodePort and LoadBalancer traffic. Cluster policy: masquerade (the endpoint may be on
    /// another node and must answer through us). Local policy: keep the client's address and
    /// use only this node's endpoints, except for pods and the node itself, which get the
    /// cluster-wide choice as kube-proxy gives them (they are not "external").
    private func externalRules(names: ChainNames, local: Bool) -> [String] {
        guard local else { return ["jump mark-for-masquerade", "goto \(names.cluster)"] }
        var rules: [String] = []
        if let clusterCIDR { rules.append("ip saddr \(clusterCIDR) goto \(names.cluster)") }
        rules += ["fib saddr type local jump mark-for-masquerade", "fib saddr type local goto \(names.cluster)", "goto \(names.local)"]
        return rules
    }
}
