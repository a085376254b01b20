import Glibc
import SkiffSystem
import Testing

@testable import SkiffNetwork

/// Real namespaces, bridges, CNI plugins and iptables: needs root and containernetworking-plugins.
@Suite("Pod sandbox network (root, real CNI)", .enabled(if: getuid() == 0, "needs root: creates namespaces, bridges and iptables rules"))
struct PodSandboxNetworkRootTests {
    @Test("two pods get distinct IPs in the CIDR, reach each other by pod IP, and have their own hostnames")
    func podToPod() throws {
        let fixture = try NetworkFixture()
        defer { fixture.cleanUp() }
        let a = try fixture.network.setUp(fixture.request("pod-a"))
        let b = try fixture.network.setUp(fixture.request("pod-b"))
        let ipA = try #require(a.podIP)
        let ipB = try #require(b.podIP)
        #expect(ipA != ipB)
        #expect(fixture.cidr.contains(ipA) && fixture.cidr.contains(ipB))
        #expect(fixture.leasedIPs() == [ipA, ipB].sorted())

        let uts = try Command.run("/usr/bin/nsenter", ["--uts=\(try #require(a.utsNamespacePath))", "/usr/bin/hostname"])
        #expect(uts.stdout == "pod-a\n")
        #expect(try FileSystem.readString(a.hostnamePath) == "pod-a\n")

        let server = try PodWebServer(networkNamespace: try #require(a.networkNamespacePath), body: "hello from a", in: fixture.directory)
        defer { server.stop() }
        #expect(Probe.get(ipA, 8080, from: b.networkNamespacePath) == "hello from a")
    }

    @Test("a hostPort reaches the pod from the node's addresses, 127.0.0.1 included (portmap snat + route_localnet)")
    func hostPort() throws {
        let fixture = try NetworkFixture()
        defer { fixture.cleanUp() }
        let port = fixture.portBase
        let pod = try fixture.network.setUp(fixture.request("web", hostPorts: [PortMapping(hostPort: port, containerPort: 8080)]))
        let server = try PodWebServer(networkNamespace: try #require(pod.networkNamespacePath), body: "hello via hostPort", in: fixture.directory)
        defer { server.stop() }
        #expect(Probe.get(try #require(pod.gateway), port) == "hello via hostPort")
        if let hostAddress = Probe.hostAddress(excluding: fixture.bridge) {
            #expect(Probe.get(hostAddress, port) == "hello via hostPort")
        }
        #expect(Probe.get("127.0.0.1", port) == "hello via hostPort")
        #expect(Probe.natRules().contains(pod.podUID))
    }

    @Test("teardown removes namespace files, nat rules and the lease; a second teardown is a no-op; the IP is reused")
    func teardown() throws {
        // A /30 has exactly one pod address, so reuse is observable and a second pod must wait.
        let fixture = try NetworkFixture(prefixLength: 30)
        defer { fixture.cleanUp() }
        let first = try fixture.network.setUp(fixture.request("first", hostPorts: [PortMapping(hostPort: fixture.portBase + 1, containerPort: 80)]))
        let ip = try #require(first.podIP)
        #expect(Probe.natRules().contains(first.podUID))

        // The network is full: the failed ADD must undo its namespaces and directory.
        let second = fixture.request("second")
        #expect(throws: (any Error).self) { try fixture.network.setUp(second) }
        #expect(!FileSystem.exists(fixture.network.podDirectory(second.podUID)))

        try fixture.network.tearDown(podUID: first.podUID)
        #expect(!FileSystem.exists(first.directory))
        #expect(!(try FileSystem.readString("/proc/self/mountinfo")).contains(first.directory))
        #expect(!Probe.natRules().contains(first.podUID))
        #expect(fixture.leasedIPs().isEmpty)
        try fixture.network.tearDown(podUID: first.podUID)
        #expect(fixture.network.sandbox(podUID: first.podUID) == nil)

        let reused = try fixture.network.setUp(second)
        #expect(reused.podIP == ip)
    }

    @Test("teardown after the netns vanished still releases the IP and removes the masquerade and hostPort rules")
    func teardownWithoutNetns() throws {
        let fixture = try NetworkFixture()
        defer { fixture.cleanUp() }
        let pod = try fixture.network.setUp(fixture.request("gone", hostPorts: [PortMapping(hostPort: fixture.portBase + 2, containerPort: 80)]))
        let netns = try #require(pod.networkNamespacePath)
        try sys("umount2", netns) { umount2(netns, Int32(MNT_DETACH)) }
        try fixture.network.tearDown(podUID: pod.podUID)
        #expect(!Probe.natRules().contains(pod.podUID))
        #expect(fixture.leasedIPs().isEmpty)
        #expect(!FileSystem.exists(pod.directory))
    }

    @Test("a half-set-up sandbox (namespaces pinned, no record) tears down and releases its lease")
    func halfSetUp() throws {
        let fixture = try NetworkFixture()
        defer { fixture.cleanUp() }
        let pod = try fixture.network.setUp(fixture.request("half"))
        try FileSystem.removeTree("\(pod.directory)/sandbox.json")
        try FileSystem.removeTree(pod.hostsPath)
        try fixture.network.tearDown(podUID: pod.podUID)
        #expect(fixture.leasedIPs().isEmpty)
        #expect(!FileSystem.exists(pod.directory))
        try fixture.network.tearDown(podUID: "never-set-up")
    }

    @Test("setUp of an existing sandbox returns it unchanged (agent restart)")
    func idempotentSetUp() throws {
        let fixture = try NetworkFixture()
        defer { fixture.cleanUp() }
        let request = fixture.request("again")
        let first = try fixture.network.setUp(request)
        let restarted = PodSandboxNetwork(
            configuration: fixture.network.configuration, sandboxDirectory: fixture.network.sandboxDirectory,
            hostResolvConf: fixture.network.hostResolvConf)
        #expect(try restarted.setUp(request) == first)
        #expect(restarted.sandbox(podUID: request.podUID) == first)
        #expect(fixture.leasedIPs().count == 1)
    }

    @Test("generated hosts and resolv.conf: pod line, aliases, loopback nameservers dropped")
    func generatedFiles() throws {
        let fixture = try NetworkFixture()
        defer { fixture.cleanUp() }
        let pod = try fixture.network.setUp(fixture.request("files"))
        let hosts = try FileSystem.readString(pod.hostsPath)
        #expect(hosts.hasPrefix("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n"))
        #expect(hosts.contains("\(try #require(pod.podIP))\tfiles\n"))
        #expect(hosts.hasSuffix("# Entries added by HostAliases.\n10.9.9.9\talias.example\n"))
        #expect(try FileSystem.readString(pod.resolvConfPath) == "search example.com\nnameserver 10.1.2.3\noptions ndots:2\n")
        #expect(try FileSystem.fileMode(pod.hostsPath) & 0o777 == 0o644)
    }

    @Test("a hostNetwork pod gets only a private IPC namespace and the node's hosts file")
    func hostNetwork() throws {
        let fixture = try NetworkFixture()
        defer { fixture.cleanUp() }
        let pod = try fixture.network.setUp(fixture.request("hostnet", hostNetwork: true))
        #expect(pod.networkNamespacePath == nil && pod.utsNamespacePath == nil && pod.podIP == nil)
        var mine = stat()
        var pinned = stat()
        try sys("stat", "/proc/self/ns/ipc") { stat("/proc/self/ns/ipc", &mine) }
        try sys("stat", pod.ipcNamespacePath) { stat(pod.ipcNamespacePath, &pinned) }
        #expect(mine.st_ino != pinned.st_ino)
        #expect(try FileSystem.readString(pod.hostsPath).hasPrefix("# Kubernetes-managed hosts file (host network).\n" + FileSystem.readString("/etc/hosts")))
        // On the host network, the host's loopback resolver is reachable, so it stays.
        #expect(try FileSystem.readString(pod.resolvConfPath).contains("nameserver 127.0.0.53\n"))
        #expect(fixture.leasedIPs().isEmpty)
        try fixture.network.tearDown(podUID: pod.podUID)
        #expect(!FileSystem.exists(pod.directory))
    }

    @Test("cleanupStale tears down pods not kept and releases leases whose sandbox is gone")
    func cleanupStale() throws {
        let fixture = try NetworkFixture()
        defer { fixture.cleanUp() }
        // hostPorts give each pod nat rules naming it (the bridge plugin no longer masquerades).
        let port = { (offset: Int) in [PortMapping(hostPort: fixture.portBase + offset, containerPort: 80)] }
        let kept = try fixture.network.setUp(fixture.request("kept", hostPorts: port(3)))
        let stale = try fixture.network.setUp(fixture.request("stale", hostPorts: port(4)))
        // A reboot empties /run (namespaces, records) but not the lease directory.
        let orphan = try fixture.network.setUp(fixture.request("orphan", hostPorts: port(5)))
        for kind in ["net", "ipc", "uts"] { try NamespacePins.unpin("\(orphan.directory)/\(kind)") }
        try FileSystem.removeTree(orphan.directory)
        #expect(fixture.leasedIPs().count == 3)

        let cleaned = try fixture.network.cleanupStale(keeping: [kept.podUID])
        #expect(Set(cleaned) == [stale.podUID, orphan.podUID])
        #expect(try fixture.network.podUIDs() == [kept.podUID])
        #expect(fixture.leasedIPs() == [try #require(kept.podIP)])
        let rules = Probe.natRules()
        #expect(!rules.isEmpty)
        #expect(!rules.contains(stale.podUID) && !rules.contains(orphan.podUID) && rules.contains(kept.podUID))
        #expect(fixture.network.sandbox(podUID: kept.podUID) == kept)
    }

    @Test("concurrent setUp and tearDown of several pods")
    func concurrent() async throws {
        let fixture = try NetworkFixture()
        defer { fixture.cleanUp() }
        let network = fixture.network
        let requests = (0..<6).map { fixture.request("c\($0)") }
        let ips = try await withThrowingTaskGroup(of: String?.self) { group in
            for request in requests { group.addTask { try network.setUp(request).podIP } }
            return try await group.reduce(into: [String]()) { if let ip = $1 { $0.append(ip) } }
        }
        #expect(Set(ips).count == requests.count)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for request in requests { group.addTask { try network.tearDown(podUID: request.podUID) } }
            try await group.waitForAll()
        }
        #expect(fixture.leasedIPs().isEmpty)
        #expect(try network.podUIDs().isEmpty)
    }
}
