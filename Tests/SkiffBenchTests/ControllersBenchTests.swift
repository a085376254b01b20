import Foundation
import SkiffJSON
import Testing

@testable import SkiffBench

@Suite struct ControllersBenchTests {
    @Test("hollow nodes run a 20-replica Deployment to Available and through a rolling update: every pod Running, Ready, with an IP, on a hollow node")
    func smallDeployment() async throws {
        let result = try await ControllersBench(nodes: 3, replicas: 20, timeout: .seconds(120)).run()
        #expect(result.create.seconds > 0)
        #expect(result.rollingUpdate.seconds > 0)
        #expect(result.peakRSSKiB > 0)
        // The rolling update's old pods were removed by the hollow kubelet, not left terminating.
        let live = result.pods.filter { $0["metadata"]["deletionTimestamp"].isNull }
        #expect(result.pods.count == 20)
        #expect(live.count == 20)
        for pod in live {
            #expect(pod["spec"]["containers"][0]["image"].string == "registry.k8s.io/pause:3.10")
            #expect(pod["status"]["phase"].string == "Running")
            #expect(pod["status"]["podIP"].string?.hasPrefix("10.") == true)
            #expect(pod["status"]["conditions"].array?.contains { $0["type"].string == "Ready" && $0["status"].string == "True" } == true)
            #expect(pod["spec"]["nodeName"].string?.hasPrefix("hollow-node-") == true)
        }
        #expect(Set(live.compactMap { $0["status"]["podIP"].string }).count == 20)
    }

    @Test("the hollow kubelet leaves pods on other nodes and unbound pods alone, and removes its pods marked for deletion")
    func actsOnlyOnItsNodes() {
        let nodes: Set<String> = ["hollow-node-0"]
        let elsewhere: JSON = ["metadata": ["namespace": "default", "name": "a", "uid": "1"], "spec": ["nodeName": "real-node"]]
        let unbound: JSON = ["metadata": ["namespace": "default", "name": "b", "uid": "2"], "spec": [:]]
        var mine: JSON = ["metadata": ["namespace": "default", "name": "c", "uid": "3"], "spec": ["nodeName": "hollow-node-0"]]
        #expect(HollowKubelet.action(for: elsewhere, nodeNames: nodes, podIP: { "10.128.0.1" }) == nil)
        #expect(HollowKubelet.action(for: unbound, nodeNames: nodes, podIP: { "10.128.0.1" }) == nil)
        guard case .reportRunning(_, "c", "3", "10.128.0.1", _) = HollowKubelet.action(for: mine, nodeNames: nodes, podIP: { "10.128.0.1" }) else {
            Issue.record("a pod bound to a hollow node is reported running")
            return
        }
        mine["metadata"]["deletionTimestamp"] = "2026-12-07T00:00:00Z"
        guard case .remove(_, "c", "3") = HollowKubelet.action(for: mine, nodeNames: nodes, podIP: { "10.128.0.1" }) else {
            Issue.record("a hollow pod marked for deletion is removed")
            return
        }
    }
}
