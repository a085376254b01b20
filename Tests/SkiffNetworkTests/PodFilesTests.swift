import Testing

@testable import SkiffNetwork

@Suite("Pod /etc files")
struct PodFilesTests {
    @Test("hosts file has kubelet's header, fixed entries, the pod line and hostAliases")
    func managedHosts() {
        let text = PodFiles.managedHosts(
            podIP: "10.42.0.7", hostname: "web-0", hostDomain: nil,
            aliases: [HostAlias(ip: "10.1.1.1", hostnames: ["foo.local", "bar.local"])])
        #expect(
            text == """
                # Kubernetes-managed hosts file.
                127.0.0.1\tlocalhost
                ::1\tlocalhost ip6-localhost ip6-loopback
                fe00::0\tip6-localnet
                fe00::0\tip6-mcastprefix
                fe00::1\tip6-allnodes
                fe00::2\tip6-allrouters
                10.42.0.7\tweb-0

                # Entries added by HostAliases.
                10.1.1.1\tfoo.local\tbar.local

                """)
    }

    @Test("a pod with a subdomain gets its FQDN before the short name")
    func hostDomain() {
        let text = PodFiles.managedHosts(podIP: "10.42.0.7", hostname: "web-0", hostDomain: "web.default.svc.cluster.local", aliases: [])
        #expect(text.hasSuffix("10.42.0.7\tweb-0.web.default.svc.cluster.local\tweb-0\n"))
    }

    @Test("hostNetwork hosts file is the node's file under kubelet's host-network header")
    func hostNetworkHosts() {
        let text = PodFiles.hostNetworkHosts(nodeHosts: "127.0.0.1 localhost\n", aliases: [])
        #expect(text == "# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n")
    }

    @Test("resolv.conf parsing: last search wins, options accumulate, comments ignored")
    func parseResolvConf() {
        let conf = ResolvConf(
            parsing: """
                # comment
                search a.example
                nameserver 127.0.0.53
                nameserver 10.0.0.2 ; trailing
                search b.example c.example
                options ndots:2
                options edns0
                """)
        #expect(conf.nameservers == ["127.0.0.53", "10.0.0.2"])
        #expect(conf.searches == ["b.example", "c.example"])
        #expect(conf.options == ["ndots:2", "edns0"])
    }

    @Test("pods with their own netns lose loopback nameservers; hostNetwork pods keep them")
    func loopbackNameservers() {
        let host = ResolvConf(nameservers: ["127.0.0.53", "::1", "10.0.0.2"], searches: ["lan"], options: [])
        #expect(host.merged(with: PodDNSConfig(), keepLoopback: false).nameservers == ["10.0.0.2"])
        #expect(host.merged(with: PodDNSConfig(), keepLoopback: true).nameservers == ["127.0.0.53", "::1", "10.0.0.2"])
    }

    @Test("dnsConfig is appended (max 3 nameservers), options override by name, dnsPolicy None ignores the host")
    func dnsConfigMerge() {
        let host = ResolvConf(nameservers: ["10.0.0.1", "10.0.0.2"], searches: ["lan"], options: ["ndots:1", "edns0"])
        let pod = PodDNSConfig(nameservers: ["10.0.0.3", "10.0.0.1", "10.0.0.4"], searches: ["svc.local"], options: ["ndots:5"])
        let merged = host.merged(with: pod, keepLoopback: false)
        #expect(merged.nameservers == ["10.0.0.1", "10.0.0.2", "10.0.0.3"])
        #expect(merged.searches == ["lan", "svc.local"])
        #expect(merged.options == ["edns0", "ndots:5"])
        #expect(merged.text == "search lan svc.local\nnameserver 10.0.0.1\nnameserver 10.0.0.2\nnameserver 10.0.0.3\noptions edns0 ndots:5\n")
        let none = host.merged(with: PodDNSConfig(ignoreHost: true, nameservers: ["1.1.1.1"]), keepLoopback: false)
        #expect(none == ResolvConf(nameservers: ["1.1.1.1"]))
    }

    @Test("a ClusterFirst pod resolves through the cluster DNS: its search path first, then the host's, ndots:5, the host's nameservers and options dropped")
    func clusterFirstResolver() {
        let host = ResolvConf(nameservers: ["10.0.0.1"], searches: ["lan"], options: ["edns0"])
        let cluster = PodDNSConfig.clusterResolver(nameservers: ["10.43.0.10"], domain: "cluster.local", namespace: "shop")
        let pod = PodDNSConfig(cluster: cluster, searches: ["extra.example"], options: ["ndots:2"])
        let merged = host.merged(with: pod, keepLoopback: false)
        #expect(merged.nameservers == ["10.43.0.10"])
        #expect(merged.searches == ["shop.svc.cluster.local", "svc.cluster.local", "cluster.local", "lan", "extra.example"])
        #expect(merged.options == ["ndots:2"], "the pod's dnsConfig option overrides the cluster's ndots:5")
        let plain = host.merged(with: PodDNSConfig(cluster: cluster), keepLoopback: false)
        #expect(plain.text == "search shop.svc.cluster.local svc.cluster.local cluster.local lan\nnameserver 10.43.0.10\noptions ndots:5\n")
        let none = host.merged(with: PodDNSConfig(ignoreHost: true, cluster: cluster, nameservers: ["1.1.1.1"]), keepLoopback: false)
        #expect(none == ResolvConf(nameservers: ["1.1.1.1"]), "dnsPolicy None takes nothing from the cluster either")
    }
}
