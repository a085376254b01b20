import SkiffAPI
import SkiffAPIServer
import Testing

@Suite("pod CIDRs, and the checks before pods/log, pods/exec and metrics reach an agent")
struct NodeProxyTests {
    let nodes = "/api/v1/nodes"
    let pods = "/api/v1/namespaces/default/pods"

    @Test("new Nodes get distinct /24s from 10.42.0.0/16 and keep them; given CIDRs are kept if valid")
    func podCIDRAllocation() async throws {
        let api = try await TestAPI()
        let first = try await api.call("POST", nodes, ["metadata": ["name": "n1"]])
        #expect(first.status == 201)
        #expect(first.body["spec"]["podCIDR"] == "10.42.0.0/24")
        #expect(first.body["spec"]["podCIDRs"] == ["10.42.0.0/24"])
        let given = try await api.call("POST", nodes, ["metadata": ["name": "n2"], "spec": ["podCIDR": "10.42.1.0/24"]])
        #expect(given.body["spec"]["podCIDRs"] == ["10.42.1.0/24"])
        #expect(try await api.call("POST", nodes, ["metadata": ["name": "n3"]]).body["spec"]["podCIDR"] == "10.42.2.0/24")
        for bad in ["10.42.9.1/24", "garbage", "10.42.9.0/33"] {
            let refused = try await api.call("POST", nodes, ["metadata": ["name": "bad"], "spec": ["podCIDR": .string(bad)]])
            #expect(refused.status == 422, "\(bad)")
            #expect(refused.body["details"]["causes"][0]["field"] == "spec.podCIDR")
        }
        // A full update without spec.podCIDR keeps it; changing it is refused.
        var node = try await api.call("GET", "\(nodes)/n1").body
        node["spec"] = ["unschedulable": true]
        let updated = try await api.call("PUT", "\(nodes)/n1", node)
        #expect(updated.status == 200)
        #expect(updated.body["spec"]["podCIDR"] == "10.42.0.0/24")
        let change = try await api.call(
            "PATCH", "\(nodes)/n1", ["spec": ["podCIDR": "10.42.200.0/24", "podCIDRs": ["10.42.200.0/24"]]], contentType: "application/merge-patch+json")
        #expect(change.status == 422)
        // A deleted node's range is not handed out again at once (it may still be in use).
        #expect(try await api.call("DELETE", "\(nodes)/n3").status == 200)
        #expect(try await api.call("POST", nodes, ["metadata": ["name": "n4"]]).body["spec"]["podCIDR"] == "10.42.3.0/24")
    }

    @Test("pods/log: unscheduled pod, ambiguous or unknown container, and a node without an agent certificate")
    func podLogErrors() async throws {
        let api = try await TestAPI()
        _ = try await api.call("POST", pods, TestAPI.pod("pending"))
        let unscheduled = try await api.call("GET", "\(pods)/pending/log")
        #expect(unscheduled.status == 400)
        #expect(unscheduled.body["message"] == "pod pending does not have a host assigned")
        #expect(try await api.call("GET", "\(pods)/missing/log").status == 404)

        var twoContainers = TestAPI.pod("two", node: "n1")
        twoContainers["spec"]["containers"] = [["name": "a", "image": "busybox"], ["name": "b", "image": "busybox"]]
        _ = try await api.call("POST", pods, twoContainers)
        let ambiguous = try await api.call("GET", "\(pods)/two/log")
        #expect(ambiguous.status == 400)
        #expect(ambiguous.body["message"] == "a container name must be specified for pod two, choose one of: [a b]")
        let unknown = try await api.call("GET", "\(pods)/two/log", query: ["container": "c"])
        #expect(unknown.body["message"] == "container c is not valid for pod two")

        // The node exists but publishes no agent certificate: 503 naming the annotation.
        _ = try await api.call("POST", nodes, ["metadata": ["name": "n1"], "status": ["addresses": [["type": "InternalIP", "address": "127.0.0.1"]]]])
        let noAgent = try await api.call("GET", "\(pods)/two/log", query: ["container": "b"])
        #expect(noAgent.status == 503)
        #expect(noAgent.body["message"].string?.contains("skiff.dev/agent-certificate-sha256") == true)

        var annotated = twoContainers
        annotated["metadata"]["name"] = "annotated"
        annotated["metadata"]["annotations"] = ["kubectl.kubernetes.io/default-container": "b"]
        _ = try await api.call("POST", pods, annotated)
        #expect(try await api.call("GET", "\(pods)/annotated/log").status == 503)

        let n1 = Authenticator.nodeToken(joinToken: TestAPI.joinToken, nodeName: "n1")
        #expect(try await api.call("GET", "\(pods)/two/log", query: ["container": "a"], token: n1).status == 403)
    }

    @Test("pods/exec without websocket is 400 (SPDY is not spoken); attach is 400; nodes may not exec")
    func podExecErrors() async throws {
        let api = try await TestAPI()
        _ = try await api.call(
            "POST", nodes,
            [
                "metadata": ["name": "n1", "annotations": ["skiff.dev/agent-certificate-sha256": .string(String(repeating: "0", count: 64))]],
                "status": ["addresses": [["type": "InternalIP", "address": "127.0.0.1"]], "daemonEndpoints": ["kubeletEndpoint": ["Port": 1]]],
            ])
        _ = try await api.call("POST", pods, TestAPI.pod("web", node: "n1"))
        _ = try await api.call("POST", pods, TestAPI.pod("pending"))
        let spdy = try await api.call("POST", "\(pods)/web/exec", query: ["command": "ls", "stdout": "true"])
        #expect(spdy.status == 400)
        #expect(spdy.body["message"] == "Upgrade: SPDY/3.1 is not supported; use a client that speaks websocket (kubectl ≥ 1.30)")
        #expect(try await api.call("POST", "\(pods)/pending/exec", query: ["command": "ls"]).body["message"] == "pod pending does not have a host assigned")
        #expect(try await api.call("POST", "\(pods)/web/attach").status == 400)

        let plan = try await api.api.execPlan(
            path: "\(pods)/web/exec", query: [("command", "sh"), ("command", "-c"), ("command", "echo a b"), ("stdout", "true"), ("tty", "false")],
            headers: ["authorization": "Bearer \(TestAPI.adminToken)"])
        #expect(plan.agentPath == "/exec/default/web/main?command=sh&command=-c&command=echo%20a%20b&stdin=false&stdout=true&stderr=false&tty=false")
        #expect(plan.endpoint.port == 1)
        #expect(plan.endpoint.credential == Authenticator.nodeToken(joinToken: TestAPI.joinToken, nodeName: "n1"))
        let n1 = Authenticator.nodeToken(joinToken: TestAPI.joinToken, nodeName: "n1")
        await #expect(throws: APIError.self) {
            _ = try await api.api.execPlan(path: "\(pods)/web/exec", query: [("command", "ls")], headers: ["authorization": "Bearer \(n1)"])
        }
    }

    @Test("pods/portforward relays to the agent's /portForward; without the SPDY tunnel subprotocol it is 400; nodes may not")
    func podPortForward() async throws {
        let api = try await TestAPI()
        _ = try await api.call(
            "POST", nodes,
            [
                "metadata": ["name": "n1", "annotations": ["skiff.dev/agent-certificate-sha256": .string(String(repeating: "0", count: 64))]],
                "status": ["addresses": [["type": "InternalIP", "address": "127.0.0.1"]], "daemonEndpoints": ["kubeletEndpoint": ["Port": 1]]],
            ])
        _ = try await api.call("POST", pods, TestAPI.pod("web", node: "n1"))
        _ = try await api.call("POST", pods, TestAPI.pod("pending"))
        let spdy = try await api.call("POST", "\(pods)/web/portforward")
        #expect(spdy.status == 400)
        #expect((spdy.body["message"].string ?? "").contains("SPDY/3.1 is not supported for port-forward"))
        #expect(try await api.call("POST", "\(pods)/pending/portforward").body["message"] == "pod pending does not have a host assigned")
        #expect(try await api.call("POST", "\(pods)/missing/portforward").status == 404)

        let plan = try await api.api.portForwardPlan(path: "\(pods)/web/portforward", headers: ["authorization": "Bearer \(TestAPI.adminToken)"])
        #expect(plan.agentPath == "/portForward/default/web")
        #expect(plan.endpoint.port == 1)
        let n1 = Authenticator.nodeToken(joinToken: TestAPI.joinToken, nodeName: "n1")
        await #expect(throws: APIError.self) {
            _ = try await api.api.portForwardPlan(path: "\(pods)/web/portforward", headers: ["authorization": "Bearer \(n1)"])
        }
    }

    @Test("metrics lists are typed and empty without reachable agents; a named item is 404")
    func metricsWithoutAgents() async throws {
        let api = try await TestAPI()
        _ = try await api.call(
            "POST", nodes,
            [
                "metadata": ["name": "n1"],
                "status": ["conditions": [["type": "Ready", "status": "True"]], "addresses": [["type": "InternalIP", "address": "127.0.0.1"]]],
            ])
        let podMetrics = try await api.call("GET", "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods")
        #expect(podMetrics.status == 200)
        #expect(podMetrics.body["kind"] == "PodMetricsList")
        #expect(podMetrics.body["items"] == [])
        #expect(try await api.call("GET", "/apis/metrics.k8s.io/v1beta1/nodes").body["kind"] == "NodeMetricsList")
        #expect(try await api.call("GET", "/apis/metrics.k8s.io/v1beta1/nodes/n1").status == 404)
    }
}
