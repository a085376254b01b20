import SkiffAPI
import SkiffAPIServer
import Testing

/// Registering more Nodes than the cluster CIDR has /24s: every Node is created, the ones without
/// a range say why, and the node IPAM controller (through the API) hands out ranges as they free up.
@Suite("pod CIDR exhaustion: Nodes beyond the cluster CIDR wait for a range and say why")
struct PodCIDRExhaustionTests {
    let nodes = "/api/v1/nodes"
    static let clusterCIDR = "10.42.0.0/16"
    /// Every /24 of 10.42.0.0/16.
    static let allRanges = Set((0..<256).map { "10.42.\($0).0/24" })

    /// Creates the Nodes all at once, as agents booting together would; returns the statuses.
    func register(_ api: ControllerHarness, _ names: [String]) async -> [Int] {
        await withTaskGroup(of: Int.self) { group in
            for name in names {
                group.addTask { (try? await api.call("POST", nodes, ["metadata": ["name": .string(name)]]).status) ?? 0 }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
    }

    func listNodes(_ api: ControllerHarness) async throws -> [JSON] {
        try await api.call("GET", nodes).body["items"].array ?? []
    }

    static func networkUnavailable(_ node: JSON) -> JSON? {
        (node["status"]["conditions"].array ?? []).first { $0["type"].string == "NetworkUnavailable" }
    }

    /// The /24s of the cluster CIDR no Node in `nodes` holds.
    static func missing(from nodes: [JSON]) -> [String] {
        allRanges.subtracting(nodes.compactMap { $0["spec"]["podCIDR"].string }).sorted()
    }

    static func tainted(_ node: JSON) -> Bool {
        (node["spec"]["taints"].array ?? []).contains { $0["key"] == "node.kubernetes.io/network-unavailable" && $0["effect"] == "NoSchedule" }
    }

    @Test("300 Nodes on a /16: 256 get distinct /24s, 44 exist without one and say why; a deleted Node's range goes to a waiting Node")
    func registrationBeyondTheClusterCIDR() async throws {
        let api = try await ControllerHarness.start(lifecycle: true)
        let names = (0..<300).map { "node-\($0)" }
        let statuses = await register(api, names)
        #expect(statuses.filter { $0 == 201 }.count == 300, "every Node is created: \(Dictionary(grouping: statuses) { $0 }.mapValues(\.count))")

        let all = try await listNodes(api)
        #expect(all.count == 300)
        let ranged = all.filter { $0["spec"]["podCIDR"].string != nil }
        let waiting = all.filter { $0["spec"]["podCIDR"].isNull }
        #expect(ranged.count == 256)
        #expect(Self.missing(from: ranged).isEmpty, "256 distinct /24s covering the /16; missing \(Self.missing(from: ranged))")
        #expect(ranged.allSatisfy { $0["spec"]["podCIDRs"] == [$0["spec"]["podCIDR"]] })
        #expect(waiting.count == 44)
        for node in waiting {
            #expect(node["spec"]["podCIDRs"].isNull)
            let condition = try #require(Self.networkUnavailable(node), "\(node["metadata"]["name"])")
            #expect(condition["status"] == "True")
            #expect(condition["reason"] == "CIDRNotAvailable")
            #expect(condition["message"].string?.contains(Self.clusterCIDR) == true, "\(condition)")
            #expect(Self.tainted(node), "no pod is scheduled to it meanwhile")
        }
        #expect(!ranged.contains(where: Self.tainted))
        let waitingNames = Set(waiting.compactMap { $0["metadata"]["name"].string })

        let events = try await api.call("GET", "/api/v1/namespaces/default/events", query: ["fieldSelector": "reason=CIDRNotAvailable"])
        let items = events.body["items"].array ?? []
        #expect(items.count == 44)
        #expect(Set(items.compactMap { $0["involvedObject"]["name"].string }) == waitingNames)
        for event in items {
            #expect(event["involvedObject"]["kind"] == "Node")
            #expect(event["involvedObject"]["uid"].string?.isEmpty == false)
            #expect(event["message"].string?.contains(Self.clusterCIDR) == true, "\(event["message"])")
        }

        // A Node with a range goes: the range goes to one waiting Node, the others keep waiting.
        let leaving = try #require(ranged.first { $0["spec"]["podCIDR"] == "10.42.7.0/24" })
        let leavingName = try #require(leaving["metadata"]["name"].string)
        #expect(try await api.call("DELETE", "\(nodes)/\(leavingName)").status == 200)
        #expect(
            try await api.eventually(timeout: .seconds(10)) {
                try await listNodes(api).contains { $0["spec"]["podCIDR"] == "10.42.7.0/24" }
            })
        let after = try await listNodes(api)
        let heir = try #require(after.first { $0["spec"]["podCIDR"] == "10.42.7.0/24" })
        #expect(waitingNames.contains(heir["metadata"]["name"].string ?? ""), "the range went to a Node that was waiting")
        #expect(heir["spec"]["podCIDRs"] == ["10.42.7.0/24"])
        #expect(!Self.tainted(heir))
        #expect(
            try await api.eventually(timeout: .seconds(10)) {
                let node = try await api.call("GET", "\(nodes)/\(heir["metadata"]["name"].string ?? "")").body
                return Self.networkUnavailable(node)?["status"] == "False"
            })
        #expect(after.filter { $0["spec"]["podCIDR"].isNull }.count == 43)
        #expect(Self.missing(from: after).isEmpty, "missing \(Self.missing(from: after))")
    }

    @Test("Nodes registering and leaving at the same time never share a range")
    func concurrentRegistrationAndDeletion() async throws {
        let api = try await ControllerHarness.start(lifecycle: true)
        #expect(await register(api, (0..<260).map { "first-\($0)" }).allSatisfy { $0 == 201 })
        // Ten Nodes with ranges go while twenty more register.
        let ranged = try await listNodes(api).filter { $0["spec"]["podCIDR"].string != nil }.prefix(10)
        let leaving = ranged.compactMap { $0["metadata"]["name"].string }
        await withTaskGroup(of: Void.self) { group in
            for name in leaving { group.addTask { _ = try? await api.call("DELETE", "\(nodes)/\(name)") } }
            group.addTask { _ = await register(api, (0..<20).map { "second-\($0)" }) }
        }
        // 270 Nodes remain; once the freed ranges are handed out, all 256 are held, each once.
        #expect(
            try await api.eventually(timeout: .seconds(10)) {
                try await listNodes(api).filter { $0["spec"]["podCIDR"].string != nil }.count == 256
            })
        let all = try await listNodes(api)
        #expect(all.count == 270)
        let cidrs = all.compactMap { $0["spec"]["podCIDR"].string }
        #expect(cidrs.count == 256)
        #expect(Self.missing(from: all).isEmpty, "missing \(Self.missing(from: all))")
    }

    @Test("the controller puts back the condition an agent's status write replaced, and settles a Node given a range by hand")
    func conditionAndTaintFollowTheRange() async throws {
        let api = try await ControllerHarness.start(lifecycle: true, clusterCIDR: "10.42.0.0/24")
        #expect(try await api.call("POST", nodes, ["metadata": ["name": "first"]]).body["spec"]["podCIDR"] == "10.42.0.0/24")
        let second = try await api.call("POST", nodes, ["metadata": ["name": "second"]])
        #expect(second.status == 201)
        #expect(Self.networkUnavailable(second.body)?["reason"] == "CIDRNotAvailable")

        // The agent merge-patches its status with the conditions it knows, dropping NetworkUnavailable.
        let heartbeat = try await api.call(
            "PATCH", "\(nodes)/second/status", ["status": ["conditions": [["type": "Ready", "status": "True", "reason": "KubeletReady"]]]],
            contentType: "application/merge-patch+json")
        #expect(heartbeat.status == 200)
        #expect(Self.networkUnavailable(heartbeat.body) == nil)
        #expect(
            try await api.eventually(timeout: .seconds(10)) {
                let node = try await api.call("GET", "\(nodes)/second").body
                return Self.networkUnavailable(node)?["status"] == "True" && Self.networkUnavailable(node)?["reason"] == "CIDRNotAvailable"
                    && (node["status"]["conditions"].array ?? []).contains { $0["type"] == "Ready" }
            })

        // An operator gives it a range from elsewhere: the taint goes and the condition turns False.
        let given = try await api.call(
            "PATCH", "\(nodes)/second", ["spec": ["podCIDR": "10.99.0.0/24", "podCIDRs": ["10.99.0.0/24"]]], contentType: "application/merge-patch+json")
        #expect(given.status == 200, "\(given.body)")
        #expect(
            try await api.eventually(timeout: .seconds(10)) {
                let node = try await api.call("GET", "\(nodes)/second").body
                return !Self.tainted(node) && Self.networkUnavailable(node)?["status"] == "False"
            })
        #expect(try await api.call("GET", "\(nodes)/second").body["spec"]["podCIDR"] == "10.99.0.0/24")
    }
}
