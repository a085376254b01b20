import SkiffAPI
import SkiffNetwork
import Testing

@testable import SkiffAgent

@Suite("kubelet policies: a pod's dnsPolicy picks its resolver")
struct ClusterDNSPolicyTests {
    let settings = ClusterDNSSettings(nameservers: ["10.43.0.10"], domain: "cluster.local")

    static func pod(_ spec: JSON) throws -> Pod {
        var spec = spec
        spec["containers"] = [["name": "app", "image": "busybox"]]
        return try Pod(json: ["metadata": ["name": "web", "namespace": "shop", "uid": "u1"], "spec": spec])
    }

    @Test("ClusterFirst (the default) and ClusterFirstWithHostNet get the cluster resolver; Default, None and ClusterFirst on the host network do not")
    func policies() throws {
        let cluster = PodDNSConfig.clusterResolver(nameservers: ["10.43.0.10"], domain: "cluster.local", namespace: "shop")
        #expect(settings.resolver(for: try Self.pod([:])) == cluster)
        #expect(settings.resolver(for: try Self.pod(["hostNetwork": true, "dnsPolicy": "ClusterFirstWithHostNet"])) == cluster)
        #expect(settings.resolver(for: try Self.pod(["hostNetwork": true])) == nil)
        #expect(settings.resolver(for: try Self.pod(["dnsPolicy": "Default"])) == nil)
        #expect(settings.resolver(for: try Self.pod(["dnsPolicy": "None", "dnsConfig": ["nameservers": ["1.1.1.1"]]])) == nil)
        let off = ClusterDNSSettings(nameservers: [], domain: "cluster.local")
        #expect(off.resolver(for: try Self.pod([:])) == nil, "with cluster DNS off, ClusterFirst resolves as Default")
    }

    @Test("a pod with hostname and subdomain gets its FQDN under the cluster domain in /etc/hosts")
    func subdomain() throws {
        let request = CNISandboxes.request(for: try Self.pod(["hostname": "db-0", "subdomain": "db"]), clusterDNS: settings)
        #expect(request.hostname == "db-0")
        #expect(request.hostDomain == "db.shop.svc.cluster.local")
        #expect(request.dns.cluster?.searches.first == "shop.svc.cluster.local")
    }
}
