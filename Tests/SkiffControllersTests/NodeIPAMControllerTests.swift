import Logging
import SkiffAPI
import SkiffClient
import Testing

@testable import SkiffControllers

/// The node IPAM controller on a fake API: a Node registered without a range says why and is
/// tainted; when a Node with a range goes, the oldest waiting Node gets the range in one write
/// that lifts its taint, and its condition turns False.
@Suite("NodeIPAMController on a fake API")
struct NodeIPAMControllerTests {
    func until(_ condition: () -> Bool) async throws -> Bool {
        for _ in 0..<500 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
        return condition()
    }

    static func node(_ name: String, cidr: String?) -> JSON {
        var node: JSON = ["metadata": ["name": .string(name), "uid": .string("uid-" + name)], "spec": .emptyObject]
        if let cidr {
            node["spec"]["podCIDR"] = .string(cidr)
            node["spec"]["podCIDRs"] = [.string(cidr)]
        }
        return node
    }

    func node(_ cluster: FakeCluster, _ name: String) -> JSON? { cluster.objects(.nodes).first { $0["metadata"]["name"].string == name } }

    @Test("a freed range goes to the Node that waited longest; taint and condition follow")
    func rangeGoesToOldestWaiting() async throws {
        let cluster = FakeCluster()
        cluster.put(.nodes, Self.node("a", cidr: "10.42.0.0/24"))
        cluster.put(.nodes, Self.node("b", cidr: "10.42.1.0/24"))
        cluster.put(.nodes, Self.node("first-waiting", cidr: nil))
        let controller = try #require(NodeIPAMController(client: cluster, clusterCIDR: "10.42.0.0/23", logger: Logger(label: "test")))
        let running = Task { await controller.run() }
        defer { running.cancel() }
        let firstMarked = try await until { node(cluster, "first-waiting").map(NetworkUnavailable.hasTaint) == true }
        #expect(firstMarked)
        cluster.put(.nodes, Self.node("second-waiting", cidr: nil))
        let marked = try await until {
            ["first-waiting", "second-waiting"].allSatisfy { name in
                guard let node = node(cluster, name) else { return false }
                return NetworkUnavailable.hasTaint(node) && node["status"]["conditions"][0]["reason"] == "CIDRNotAvailable"
            }
        }
        #expect(marked)
        #expect(node(cluster, "first-waiting")?["status"]["conditions"][0]["message"].string?.contains("10.42.0.0/23") == true)
        cluster.remove(.nodes, namespace: "", name: "a")
        let assigned = try await until { node(cluster, "first-waiting")?["spec"]["podCIDR"] == "10.42.0.0/24" }
        #expect(assigned)
        let settled = try await until { node(cluster, "first-waiting")?["status"]["conditions"][0]["status"] == "False" }
        #expect(settled)
        let heir = try #require(node(cluster, "first-waiting"))
        #expect(heir["spec"]["podCIDRs"] == ["10.42.0.0/24"])
        #expect(!NetworkUnavailable.hasTaint(heir))
        #expect(heir["status"]["conditions"][0]["reason"] == "CIDRAssigned")
        #expect(node(cluster, "second-waiting")?["spec"]["podCIDR"] == .null)
        #expect(node(cluster, "b")?["spec"]["podCIDR"] == "10.42.1.0/24")
    }

    @Test("the lowest /24 no Node holds, whatever the size of the ranges held")
    func firstFreeRange() throws {
        let ranges = try #require(ClusterCIDRRanges(clusterCIDR: "10.42.0.0/22"))
        #expect(ranges.firstFree(excluding: []) == "10.42.0.0/24")
        #expect(ranges.firstFree(excluding: ["10.42.0.0/23", "10.99.0.0/24"]) == "10.42.2.0/24")
        #expect(ranges.firstFree(excluding: ["10.42.0.0/22"]) == nil)
        #expect(ClusterCIDRRanges(clusterCIDR: "10.42.0.0/25") == nil)
    }
}
