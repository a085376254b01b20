import Testing

@testable import SkiffServiceProxy

@Suite("Service proxy sync")
struct ServiceProxySyncTests {
    @Test("the first sync rewrites the whole table in one script; an unchanged sync sends nothing")
    func firstSync() throws {
        let commands = RecordingCommands()
        let proxy = ServiceProxy(node: node, commands: commands)
        let report = try proxy.sync(services: [web()])
        #expect(report.fullSync)
        #expect(commands.scripts.count == 1)
        let script = try #require(commands.scripts.first)
        #expect(script.hasPrefix("add table ip skiff-test\ndelete table ip skiff-test\n"))
        #expect(script.contains("add element ip skiff-test service-ips { 10.43.0.10 . tcp . 80 : goto \(names.service) }"))
        let again = try proxy.sync(services: [web()])
        #expect(!again.fullSync && again.scriptBytes == 0)
        #expect(commands.scripts.count == 1)
    }

    @Test("an endpoint change flushes and refills only the chains that changed and adds only the new endpoint's chain")
    func endpointChange() throws {
        let commands = RecordingCommands()
        let proxy = ServiceProxy(node: node, commands: commands)
        let first = ProxyEndpoint(address: "10.42.1.2", port: 8080)
        let second = ProxyEndpoint(address: "10.42.2.3", port: 8080)
        let third = ProxyEndpoint(address: "10.42.3.4", port: 8080)
        var other = web()
        other.name = "other"
        other.clusterIPs = ["10.43.0.11"]
        try proxy.sync(services: [web(endpoints: [first, second]), other])
        try proxy.sync(services: [web(endpoints: [first, third]), other])
        let lines = commands.scripts[1].split(separator: "\n").map(String.init)
        // Chains are filled inline and the vanished endpoint's chain is only flushed: neither
        // makes nft list the whole table first.
        #expect(
            lines == [
                "add chain ip skiff-test \(names.endpoint(third))",
                "flush chain ip skiff-test \(names.cluster)",
                "add chain ip skiff-test \(names.endpoint(third)) { ip saddr 10.42.3.4 jump mark-for-masquerade ; meta l4proto tcp dnat to 10.42.3.4:8080 ; }",
                "add chain ip skiff-test \(names.cluster) { numgen random mod 2 == 0 goto \(names.endpoint(first)) ; goto \(names.endpoint(third)) ; }",
                "flush chain ip skiff-test \(names.endpoint(second))",
            ])
        // The next script that changes map elements deletes the empty chain.
        other.clusterIPs = ["10.43.0.12"]
        try proxy.sync(services: [web(endpoints: [first, third]), other])
        #expect(commands.scripts[2].contains("delete chain ip skiff-test \(names.endpoint(second))\n"))
        // And an endpoint that comes back gets its stale chain refilled, not deleted.
        try proxy.sync(services: [web(endpoints: [first]), other])
        try proxy.sync(services: [web(endpoints: [first, third]), other])
        #expect(commands.scripts[4].contains("add chain ip skiff-test \(names.endpoint(third)) { "))
        other.clusterIPs = ["10.43.0.13"]
        try proxy.sync(services: [web(endpoints: [first, third]), other])
        #expect(!commands.scripts[5].contains("delete chain"))
    }

    @Test("losing every endpoint moves the VIP from service-ips to the reject map and deletes the chains")
    func lastEndpointGone() throws {
        let commands = RecordingCommands()
        let proxy = ServiceProxy(node: node, commands: commands)
        try proxy.sync(services: [web()])
        try proxy.sync(services: [web(endpoints: [])])
        let script = commands.scripts[1]
        #expect(script.contains("delete element ip skiff-test service-ips { 10.43.0.10 . tcp . 80 }\n"))
        #expect(script.contains("add element ip skiff-test no-endpoint-services { 10.43.0.10 . tcp . 80 : goto reject-chain }\n"))
        #expect(script.contains("delete chain ip skiff-test \(names.service)\n"))
        // Elements pointing at a chain go before the chain does.
        let lines = script.split(separator: "\n").map(String.init)
        let elementDeletion = try #require(lines.firstIndex { $0.hasPrefix("delete element") })
        let chainDeletion = try #require(lines.firstIndex(of: "delete chain ip skiff-test \(names.service)"))
        #expect(elementDeletion < chainDeletion)
    }

    @Test("a vanished Service's chains, sets and elements are all deleted")
    func serviceRemoved() throws {
        let commands = RecordingCommands()
        let proxy = ServiceProxy(node: node, commands: commands)
        try proxy.sync(services: [web(affinity: 30)])
        try proxy.sync(services: [])
        let lines = commands.scripts[1].split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix("delete chain") }.count == 4)
        #expect(lines.filter { $0.hasPrefix("delete set") }.count == 2)
        #expect(lines.filter { $0.hasPrefix("add ") }.isEmpty)
        #expect(lines.contains("delete element ip skiff-test service-ips { 10.43.0.10 . tcp . 80 }"))
    }

    @Test("a refused update is retried as a full rewrite, and a failed sync makes the next one full")
    func recovery() throws {
        let commands = RecordingCommands()
        let proxy = ServiceProxy(node: node, commands: commands)
        try proxy.sync(services: [web()])
        commands.refuse(next: 1)
        let recovered = try proxy.sync(services: [web(endpoints: [])])
        #expect(recovered.fullSync && recovered.recoveredFrom != nil)
        commands.refuse(next: 2)
        #expect(throws: (any Error).self) { try proxy.sync(services: [web()]) }
        let next = try proxy.sync(services: [web()])
        #expect(next.fullSync)
    }

    @Test("changing an affinity timeout rewrites the table: a set in use cannot be redefined")
    func affinityTimeoutChange() throws {
        let commands = RecordingCommands()
        let proxy = ServiceProxy(node: node, commands: commands)
        try proxy.sync(services: [web(affinity: 30)])
        #expect(try proxy.sync(services: [web(affinity: 60)]).fullSync)
    }

    @Test("a UDP endpoint that goes away has its conntrack entries deleted; a UDP VIP gaining endpoints is cleared")
    func staleUDP() throws {
        let commands = RecordingCommands()
        let proxy = ServiceProxy(node: node, commands: commands)
        let first = ProxyEndpoint(address: "10.42.1.2", port: 53)
        let second = ProxyEndpoint(address: "10.42.2.3", port: 53)
        try proxy.sync(services: [web(endpoints: [], protocol: .udp)])
        #expect(commands.conntrackCalls.isEmpty)
        try proxy.sync(services: [web(endpoints: [first, second], type: .nodePort, nodePort: 30053, protocol: .udp)])
        #expect(
            commands.conntrackCalls == [
                ["-D", "-p", "udp", "--orig-dst", "10.43.0.10", "--orig-port-dst", "80"], ["-D", "-p", "udp", "--orig-port-dst", "30053"],
            ])
        try proxy.sync(services: [web(endpoints: [first], type: .nodePort, nodePort: 30053, protocol: .udp)])
        #expect(
            commands.conntrackCalls.suffix(2) == [
                ["-D", "-p", "udp", "--orig-dst", "10.43.0.10", "--orig-port-dst", "80", "--reply-src", "10.42.2.3"],
                ["-D", "-p", "udp", "--orig-port-dst", "30053", "--reply-src", "10.42.2.3"],
            ])
        #expect(commands.conntrackCalls.count == 4)
    }

    @Test("when the Service holding a VIP port goes away, the one that clashed with it takes it over")
    func clashResolved() throws {
        let commands = RecordingCommands()
        let proxy = ServiceProxy(node: node, commands: commands)
        var second = web(endpoints: [ProxyEndpoint(address: "10.42.9.9", port: 80)])
        second.name = "zweb"
        let first = try proxy.sync(services: [web(), second])
        #expect(first.skipped.map(\.name) == ["zweb"])
        let takeover = try proxy.sync(services: [second])
        #expect(takeover.skipped.isEmpty && !takeover.fullSync)
        let zNames = ChainNames(namespace: "default", name: "zweb", protocol: .tcp, portName: "http")
        let script = commands.scripts[1]
        #expect(script.contains("delete element ip skiff-test service-ips { 10.43.0.10 . tcp . 80 }\n"))
        #expect(script.contains("add element ip skiff-test service-ips { 10.43.0.10 . tcp . 80 : goto \(zNames.service) }\n"))
        #expect(script.contains("delete chain ip skiff-test \(names.service)\n"))
    }

    @Test("an unchanged Service is not touched when another one changes")
    func onlyChangedServices() throws {
        let commands = RecordingCommands()
        let proxy = ServiceProxy(node: node, commands: commands)
        var other = web()
        other.name = "other"
        other.clusterIPs = ["10.43.0.11"]
        try proxy.sync(services: [web(), other])
        other.ports[0].endpoints.removeLast()
        try proxy.sync(services: [web(), other])
        #expect(!commands.scripts[1].contains("default/web/"))
        #expect(commands.scripts[1].contains("default/other/"))
    }
}
