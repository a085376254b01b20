import SkiffAPI
import SkiffNetworkPolicy
import Testing

/// The compiler on fakes: which pods are isolated, which addresses and ports each rule lets
/// through, and what a sync sends to nft.
@Suite("NetworkPolicy compiler: policies + pods + namespaces → nft ruleset")
struct PolicyCompilerTests {
    static let namespaces = [
        PolicyNamespace(name: "default", labels: ["kubernetes.io/metadata.name": "default"]),
        PolicyNamespace(name: "team-a", labels: ["team": "a"]),
    ]
    static let pods = [
        PolicyPod(
            namespace: "default", name: "web", labels: ["app": "web"], ip: "10.98.1.10", isLocal: true,
            namedPorts: [.init(name: "http", protocol: .tcp, port: 8080)]),
        PolicyPod(namespace: "default", name: "db", labels: ["app": "db"], ip: "10.98.1.11", isLocal: true),
        PolicyPod(namespace: "default", name: "client", labels: ["role": "client"], ip: "10.98.2.20", isLocal: false),
        PolicyPod(
            namespace: "team-a", name: "other", labels: ["role": "client"], ip: "10.98.2.21", isLocal: false,
            namedPorts: [.init(name: "http", protocol: .tcp, port: 9090)]),
    ]

    static func policy(
        _ name: String, namespace: String = "default", selector: [String: String] = [:], ingress: [NetworkPolicyRule] = [],
        egress: [NetworkPolicyRule] = [], types: Set<NetworkPolicy.PolicyType>? = nil
    ) -> NetworkPolicy {
        NetworkPolicy(
            metadata: ObjectMeta(name: name, namespace: namespace),
            podSelector: LabelSelector(requirements: selector.sorted { $0.key < $1.key }.map { .equals($0.key, $0.value) }), ingress: ingress,
            egress: egress, policyTypes: types)
    }

    static func compile(_ policies: [NetworkPolicy], pods: [PolicyPod] = pods) -> PolicyRuleset {
        PolicyCompiler.compile(policies: policies, pods: pods, namespaces: namespaces)
    }

    static func selector(_ labels: [String: String]) -> LabelSelector {
        LabelSelector(requirements: labels.sorted { $0.key < $1.key }.map { .equals($0.key, $0.value) })
    }

    @Test("no policy isolates nothing: empty sets, and the forward chain passes everything")
    func noPolicies() {
        let ruleset = Self.compile([])
        #expect(ruleset.set(named: "ingress-isolated")?.elements == [])
        #expect(ruleset.set(named: "egress-isolated")?.elements == [])
        #expect(ruleset.chain(named: "forward")?.rules.first == "ct state established,related accept")
        #expect(ruleset.chain(named: "pod-ingress")?.rules == ["drop"])
    }

    @Test("default-deny ingress isolates only the namespace's local pods, and allows nothing")
    func defaultDeny() {
        let ruleset = Self.compile([Self.policy("deny")])
        #expect(ruleset.set(named: "ingress-isolated")?.elements == ["10.98.1.10", "10.98.1.11"])
        #expect(ruleset.set(named: "egress-isolated")?.elements == [])
        #expect(ruleset.chain(named: "policy-0-ingress")?.rules == [])
        #expect(ruleset.chain(named: "pod-ingress")?.rules == ["ip daddr @policy-0-pods jump policy-0-ingress comment \"default/deny\"", "drop"])
        #expect(ruleset.chain(named: "policy-0-egress") == nil)
    }

    @Test("a pod selector peer lets exactly the matching pods of the policy's namespace in, on the listed ports")
    func podSelectorPeer() {
        let rule = NetworkPolicyRule(
            peers: [.pods(podSelector: Self.selector(["role": "client"]), namespaceSelector: nil)],
            ports: [NetworkPolicyPort(port: .int(80)), NetworkPolicyPort(protocol: .udp, port: .int(8000), endPort: 8100)])
        let ruleset = Self.compile([Self.policy("allow", selector: ["app": "web"], ingress: [rule])])
        #expect(ruleset.set(named: "ingress-isolated")?.elements == ["10.98.1.10"])
        // team-a's client has the label but lives in another namespace.
        #expect(ruleset.set(named: "policy-0-ingress-0-peers")?.elements == ["10.98.2.20"])
        #expect(
            ruleset.chain(named: "policy-0-ingress")?.rules == [
                "ip saddr @policy-0-ingress-0-peers meta l4proto tcp th dport 80 accept",
                "ip saddr @policy-0-ingress-0-peers meta l4proto udp th dport 8000-8100 accept",
            ])
    }

    @Test("namespaceSelector alone takes every pod of those namespaces; with a podSelector, only matching pods there")
    func namespaceSelector() {
        let alone = NetworkPolicyRule(peers: [.pods(podSelector: nil, namespaceSelector: Self.selector(["team": "a"]))])
        let both = NetworkPolicyRule(peers: [.pods(podSelector: Self.selector(["role": "none"]), namespaceSelector: Self.selector(["team": "a"]))])
        let everywhere = NetworkPolicyRule(peers: [.pods(podSelector: Self.selector(["role": "client"]), namespaceSelector: .everything)])
        let ruleset = Self.compile([Self.policy("ns", ingress: [alone, both, everywhere])])
        #expect(ruleset.set(named: "policy-0-ingress-0-peers")?.elements == ["10.98.2.21"])
        // Nothing matches: the rule allows nothing and has no set.
        #expect(ruleset.set(named: "policy-0-ingress-1-peers") == nil)
        #expect(ruleset.set(named: "policy-0-ingress-2-peers")?.elements == ["10.98.2.20-10.98.2.21"])
        #expect(ruleset.chain(named: "policy-0-ingress")?.rules == ["ip saddr @policy-0-ingress-0-peers accept", "ip saddr @policy-0-ingress-2-peers accept"])
    }

    @Test("an ipBlock minus its exceptions becomes disjoint ranges, merged with pod peers")
    func ipBlock() throws {
        let block = NetworkPolicyPeer.ipBlock(cidr: try #require(CIDR("10.98.0.0/16")), except: [try #require(CIDR("10.98.2.0/24"))])
        let v6 = NetworkPolicyPeer.ipBlock(cidr: try #require(CIDR("fd00::/64")), except: [])
        let pod = NetworkPolicyPeer.pods(podSelector: Self.selector(["role": "client"]), namespaceSelector: nil)
        let ruleset = Self.compile([Self.policy("cidr", ingress: [NetworkPolicyRule(peers: [block, v6, pod])])])
        #expect(ruleset.set(named: "policy-0-ingress-0-peers")?.elements == ["10.98.0.0-10.98.1.255", "10.98.2.20", "10.98.3.0-10.98.255.255"])
        #expect(ruleset.set(named: "policy-0-ingress-0-peers")?.interval == true)
        #expect(
            IPv4Ranges.subtracting([try #require(CIDR("0.0.0.0/1"))], from: try #require(CIDR("0.0.0.0/0"))).map(IPv4Ranges.element) == [
                "128.0.0.0-255.255.255.255"
            ])
    }

    @Test("egress isolates the source, allows listed destinations on to the ingress check, and resolves named ports per destination pod")
    func egress() {
        let rule = NetworkPolicyRule(
            peers: [.pods(podSelector: Self.selector(["role": "client"]), namespaceSelector: .everything)],
            ports: [NetworkPolicyPort(port: .string("http")), NetworkPolicyPort(protocol: .udp, port: .string("http"))])
        let ruleset = Self.compile([Self.policy("out", selector: ["app": "web"], egress: [rule])])
        #expect(ruleset.set(named: "egress-isolated")?.elements == ["10.98.1.10"])
        #expect(ruleset.set(named: "ingress-isolated")?.elements == ["10.98.1.10"])
        #expect(ruleset.set(named: "policy-0-egress-0-port-0")?.elements == ["10.98.1.10 . 8080", "10.98.2.21 . 9090"])
        // No pod names a UDP port "http": that port allows nothing.
        #expect(
            ruleset.chain(named: "policy-0-egress")?.rules == [
                "ip daddr @policy-0-egress-0-peers meta l4proto tcp ip daddr . th dport @policy-0-egress-0-port-0 goto after-egress"
            ])
        #expect(ruleset.chain(named: "pod-egress")?.rules == ["ip saddr @policy-0-pods jump policy-0-egress comment \"default/out\"", "drop"])
    }

    @Test("ingress named ports resolve against the selected pods only; policyTypes Egress alone leaves ingress open")
    func namedIngressAndTypes() {
        let named = Self.policy("named", selector: ["app": "web"], ingress: [NetworkPolicyRule(ports: [NetworkPolicyPort(port: .string("http"))])])
        let egressOnly = Self.policy("egress-only", egress: [], types: [.egress])
        let ruleset = Self.compile([named, egressOnly])
        // Sorted by key: egress-only is policy-0, named is policy-1.
        #expect(ruleset.set(named: "policy-1-ingress-0-port-0")?.elements == ["10.98.1.10 . 8080"])
        #expect(ruleset.set(named: "ingress-isolated")?.elements == ["10.98.1.10"])
        #expect(ruleset.set(named: "egress-isolated")?.elements == ["10.98.1.10", "10.98.1.11"])
        #expect(ruleset.chain(named: "policy-0-egress")?.rules == [])
    }

    @Test("a pod coming or going changes only set elements: the sync sends a flush and the new elements")
    func incremental() throws {
        let policy = Self.policy("allow", ingress: [NetworkPolicyRule(peers: [.pods(podSelector: nil, namespaceSelector: nil)])])
        let commands = RecordingCommands()
        let enforcer = NetworkPolicyEnforcer(tableName: "t", commands: commands)
        let first = try enforcer.sync(policies: [policy], pods: Self.pods, namespaces: Self.namespaces)
        #expect(first.fullSync)
        #expect(commands.scripts.last?.hasPrefix("add table ip t\ndelete table ip t\ntable ip t {") == true)
        let newcomer = PolicyPod(namespace: "default", name: "new", labels: [:], ip: "10.98.1.12", isLocal: true)
        let second = try enforcer.sync(policies: [policy], pods: Self.pods + [newcomer], namespaces: Self.namespaces)
        #expect(!second.fullSync)
        #expect(
            commands.scripts.last == """
                flush set ip t ingress-isolated
                add element ip t ingress-isolated { 10.98.1.10, 10.98.1.11, 10.98.1.12 }
                flush set ip t policy-0-pods
                add element ip t policy-0-pods { 10.98.1.10, 10.98.1.11, 10.98.1.12 }
                flush set ip t policy-0-ingress-0-peers
                add element ip t policy-0-ingress-0-peers { 10.98.1.10-10.98.1.12, 10.98.2.20 }

                """)
        let count = commands.scripts.count
        try enforcer.sync(policies: [policy], pods: Self.pods + [newcomer], namespaces: Self.namespaces)
        #expect(commands.scripts.count == count)
        // A new policy changes the chains: the whole table again.
        let third = try enforcer.sync(policies: [policy, Self.policy("deny")], pods: Self.pods, namespaces: Self.namespaces)
        #expect(third.fullSync)
    }

    @Test("a refused script makes the next sync a full one")
    func failureResets() throws {
        let commands = RecordingCommands()
        let enforcer = NetworkPolicyEnforcer(tableName: "t", commands: commands)
        try enforcer.sync(policies: [Self.policy("deny")], pods: Self.pods, namespaces: Self.namespaces)
        commands.failNext()
        #expect(throws: (any Error).self) { try enforcer.sync(policies: [Self.policy("deny")], pods: Array(Self.pods.prefix(1)), namespaces: []) }
        let again = try enforcer.sync(policies: [Self.policy("deny")], pods: Array(Self.pods.prefix(1)), namespaces: [])
        #expect(again.fullSync)
    }

    @Test("pods policies ignore: no address yet, host network, finished")
    func podView() throws {
        func pod(_ extra: JSON, status: JSON) throws -> Pod {
            var spec: JSON = ["nodeName": "node1", "containers": [["name": "c", "image": "busybox", "ports": [["name": "http", "containerPort": 80]]]]]
            for (key, value) in extra.object ?? [:] { spec[key] = value }
            return try Pod(json: ["metadata": ["name": "p", "namespace": "default"], "spec": spec, "status": status])
        }
        let running = try #require(PolicyPod(try pod(.emptyObject, status: ["phase": "Running", "podIP": "10.98.1.5"]), localNode: "node1"))
        #expect(running.isLocal && running.namedPorts == [.init(name: "http", protocol: .tcp, port: 80)])
        #expect(PolicyPod(try pod(.emptyObject, status: ["phase": "Pending"]), localNode: "node1") == nil)
        #expect(PolicyPod(try pod(["hostNetwork": true], status: ["phase": "Running", "podIP": "10.99.0.11"]), localNode: "node1") == nil)
        #expect(PolicyPod(try pod(.emptyObject, status: ["phase": "Succeeded", "podIP": "10.98.1.5"]), localNode: "node1") == nil)
    }
}
