import SkiffAPI
import SkiffCgroups
import Testing

@testable import SkiffAgent

@Suite("kubelet policies: QoS cgroups, OOM scores, downward API")
struct PodPolicyTests {
    let cgroups = PodCgroups(hierarchy: .unified(mountPoint: "/sys/fs/cgroup"), root: "kubepods", memoryCapacity: 8 << 30)

    static func pod(_ resources: [JSON]) -> JSON {
        ["metadata": ["uid": "abc"], "spec": ["containers": .array(resources.map { ["name": "c", "resources": $0] })]]
    }

    @Test("pods sit under kubepods by QoS class")
    func paths() {
        #expect(cgroups.path(for: Self.pod([[:]])) == "/kubepods/besteffort/podabc")
        #expect(cgroups.path(for: Self.pod([["requests": ["cpu": "100m"]]])) == "/kubepods/burstable/podabc")
        #expect(cgroups.path(for: Self.pod([["limits": ["cpu": "1", "memory": "1Gi"]]])) == "/kubepods/podabc")
    }

    @Test("oom_score_adj: Guaranteed -997, BestEffort 1000, Burstable scales with the memory request")
    func oomScores() {
        let guaranteed = Self.pod([["limits": ["cpu": "1", "memory": "1Gi"]]])
        #expect(cgroups.oomScoreAdj(for: guaranteed, container: guaranteed["spec"]["containers"][0]) == -997)
        let bestEffort = Self.pod([[:]])
        #expect(cgroups.oomScoreAdj(for: bestEffort, container: bestEffort["spec"]["containers"][0]) == 1000)
        let burstable = Self.pod([["requests": ["memory": "4Gi"]]])
        #expect(cgroups.oomScoreAdj(for: burstable, container: burstable["spec"]["containers"][0]) == 500)
        let tiny = Self.pod([["requests": ["memory": "1"]]])
        #expect(cgroups.oomScoreAdj(for: tiny, container: tiny["spec"]["containers"][0]) == 999)
        let huge = Self.pod([["requests": ["memory": "100Gi"]]])
        #expect(cgroups.oomScoreAdj(for: huge, container: huge["spec"]["containers"][0]) == 2)
    }

    @Test("without CAP_SYS_RESOURCE no container is asked for a score below the agent's own")
    func oomScoreFloor() {
        let withCapability = "Name:\tskiff\nCapEff:\t000001ffffffffff\n"
        let withoutCapability = "Name:\tskiff\nCapEff:\t000001fffeffffff\n"
        #expect(HostFacts.oomScoreFloor(status: withCapability, ownScore: "0\n") == nil)
        #expect(HostFacts.oomScoreFloor(status: withoutCapability, ownScore: "0\n") == 0)
        #expect(HostFacts.oomScoreFloor(status: withoutCapability, ownScore: "-500\n") == -500)

        var floored = cgroups
        floored.oomScoreFloor = 0
        let guaranteed = Self.pod([["limits": ["cpu": "500m", "memory": "64Mi"]]])
        #expect(floored.oomScoreAdj(for: guaranteed, container: guaranteed["spec"]["containers"][0]) == 0)
        let bestEffort = Self.pod([[:]])
        #expect(floored.oomScoreAdj(for: bestEffort, container: bestEffort["spec"]["containers"][0]) == 1000)
    }

    @Test("downward API fields read the pod's metadata and status")
    func downward() {
        let pod: JSON = [
            "metadata": ["name": "web", "namespace": "prod", "uid": "u", "labels": ["app": "web", "tier": "front"]],
            "spec": ["nodeName": "n1"], "status": ["podIP": "10.42.0.5"],
        ]
        #expect(EnvironmentResolver.fieldValue("metadata.name", pod: pod, multiline: false) == "web")
        #expect(EnvironmentResolver.fieldValue("metadata.labels['tier']", pod: pod, multiline: false) == "front")
        #expect(EnvironmentResolver.fieldValue("metadata.labels", pod: pod, multiline: true) == "app=\"web\"\ntier=\"front\"")
        #expect(EnvironmentResolver.fieldValue("status.podIP", pod: pod, multiline: false) == "10.42.0.5")
        #expect(EnvironmentResolver.fieldValue("spec.nodeName", pod: pod, multiline: false) == "n1")
    }

    @Test("resourceFieldRef rounds up by the divisor")
    func resourceField() {
        let container: JSON = ["resources": ["limits": ["cpu": "250m", "memory": "64Mi"]]]
        #expect(EnvironmentResolver.resourceValue(["resource": "limits.cpu"], container: container) == "1")
        #expect(EnvironmentResolver.resourceValue(["resource": "limits.cpu", "divisor": "1m"], container: container) == "250")
        #expect(EnvironmentResolver.resourceValue(["resource": "limits.memory", "divisor": "1Mi"], container: container) == "64")
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
    @Test("durations print as Go's time.Duration does", arguments: [
        (0.0, "0s"), (0.05, "50ms"), (0.2, "200ms"), (1, "1s"), (1.5, "1.5s"), (10, "10s"), (80, "1m20s"), (300, "5m0s"), (3_725, "1h2m5s"),
    ])
    func goDuration(seconds: Double, expected: String) {
        #expect(GoDuration.string(seconds: seconds) == expected)
    }
}
