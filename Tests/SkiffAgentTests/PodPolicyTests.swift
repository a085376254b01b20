import SkiffAPI
import SkiffCgroups
import Testing

@testable import SkiffAgent

@Suite("kubelet policies: QoS cgroups, OOM scores, downward API")
struct PodPolicyTests {
    let cgroups = PodCgroups(hierarchy: .unified(mountPoint: "/sys/fs/cgroup"), root: "kubepods", memoryCapacity: 8 << 30)

    static func pod(_ resources: [JSON]) throws -> Pod {
        try Pod(json: [
            "metadata": ["uid": "abc"],
            "spec": ["containers": .array(resources.enumerated().map { ["name": .string("c\($0.offset)"), "resources": $0.element] })],
        ])
    }

    @Test("pods sit under kubepods by QoS class")
    func paths() throws {
        #expect(cgroups.path(for: try Self.pod([[:]])) == "/kubepods/besteffort/podabc")
        #expect(cgroups.path(for: try Self.pod([["requests": ["cpu": "100m"]]])) == "/kubepods/burstable/podabc")
        #expect(cgroups.path(for: try Self.pod([["limits": ["cpu": "1", "memory": "1Gi"]]])) == "/kubepods/podabc")
    }

    @Test("oom_score_adj: Guaranteed -997, BestEffort 1000, Burstable scales with the memory request")
    func oomScores() throws {
        let guaranteed = try Self.pod([["limits": ["cpu": "1", "memory": "1Gi"]]])
        #expect(cgroups.oomScoreAdj(for: guaranteed, container: guaranteed.spec.containers[0]) == -997)
        let bestEffort = try Self.pod([[:]])
        #expect(cgroups.oomScoreAdj(for: bestEffort, container: bestEffort.spec.containers[0]) == 1000)
        let burstable = try Self.pod([["requests": ["memory": "4Gi"]]])
        #expect(cgroups.oomScoreAdj(for: burstable, container: burstable.spec.containers[0]) == 500)
        let tiny = try Self.pod([["requests": ["memory": "1"]]])
        #expect(cgroups.oomScoreAdj(for: tiny, container: tiny.spec.containers[0]) == 999)
        let huge = try Self.pod([["requests": ["memory": "100Gi"]]])
        #expect(cgroups.oomScoreAdj(for: huge, container: huge.spec.containers[0]) == 2)
    }

    @Test("without CAP_SYS_RESOURCE no container is asked for a score below the agent's own")
    func oomScoreFloor() throws {
        let withCapability = "Name:\tskiff\nCapEff:\t000001ffffffffff\n"
        let withoutCapability = "Name:\tskiff\nCapEff:\t000001fffeffffff\n"
        #expect(HostFacts.oomScoreFloor(status: withCapability, ownScore: "0\n") == nil)
        #expect(HostFacts.oomScoreFloor(status: withoutCapability, ownScore: "0\n") == 0)
        #expect(HostFacts.oomScoreFloor(status: withoutCapability, ownScore: "-500\n") == -500)

        var floored = cgroups
        floored.oomScoreFloor = 0
        let guaranteed = try Self.pod([["limits": ["cpu": "500m", "memory": "64Mi"]]])
        #expect(floored.oomScoreAdj(for: guaranteed, container: guaranteed.spec.containers[0]) == 0)
        let bestEffort = try Self.pod([[:]])
        #expect(floored.oomScoreAdj(for: bestEffort, container: bestEffort.spec.containers[0]) == 1000)
    }

    @Test("downward API fields read the pod's metadata and status")
    func downward() throws {
        let pod = try Pod(json: [
            "metadata": ["name": "web", "namespace": "prod", "uid": "u", "labels": ["app": "web", "tier": "front"]],
            "spec": ["nodeName": "n1"], "status": ["podIP": "10.42.0.5"],
        ])
        func field(_ path: String) -> String {
            EnvironmentResolver.fieldValue(path, pod: pod, podIP: pod.status.podIP, hostIP: "192.0.2.1")
        }
        #expect(field("metadata.name") == "web")
        #expect(field("metadata.namespace") == "prod")
        #expect(field("metadata.labels['tier']") == "front")
        #expect(field("metadata.labels") == "app=\"web\"\ntier=\"front\"")
        #expect(field("status.podIP") == "10.42.0.5")
        #expect(field("status.hostIP") == "192.0.2.1")
        #expect(field("spec.nodeName") == "n1")
    }

    @Test("resourceFieldRef rounds up by the divisor")
    func resourceField() throws {
        let container = try Container(json: JSONField(["name": "c", "resources": ["limits": ["cpu": "250m", "memory": "64Mi"]]]))
        func value(_ reference: JSON) throws -> String {
            EnvironmentResolver.resourceValue(try EnvVar.ResourceFieldSelector(json: JSONField(reference)), container: container)
        }
        #expect(try value(["resource": "limits.cpu"]) == "1")
        #expect(try value(["resource": "limits.cpu", "divisor": "1m"]) == "250")
        #expect(try value(["resource": "limits.memory", "divisor": "1Mi"]) == "64")
    }

    @Test("the node credential is the server's HMAC of the node name under the join token")
    func credential() {
        let token = APIClient.nodeCredential(joinToken: "secret", nodeName: "n1")
        #expect(token.hasPrefix("skiff-node.n1."))
        #expect(token.count == "skiff-node.n1.".count + 64)
        #expect(token != APIClient.nodeCredential(joinToken: "other", nodeName: "n1"))
    }
}

@Suite("durations in kubelet messages")
struct GoDurationTests {
    @Test(
        "durations print as Go's time.Duration does",
        arguments: [
            (0.0, "0s"), (0.05, "50ms"), (0.2, "200ms"), (1, "1s"), (1.5, "1.5s"), (10, "10s"), (80, "1m20s"), (300, "5m0s"), (3_725, "1h2m5s"),
        ])
    func goDuration(seconds: Double, expected: String) {
        #expect(GoDuration.string(seconds: seconds) == expected)
    }
}
