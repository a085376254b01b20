import Foundation
import SkiffTestSupport
import Testing

/// Status codes over real HTTPS for requests that must change nothing: no or bad credentials,
/// another node's objects, oversized and malformed bodies.
@Suite struct HTTPErrorTests {
    static let probe = #"""
        import base64, json, ssl, sys, urllib.request
        config = json.load(open(sys.argv[1]))
        server = config["clusters"][0]["cluster"]["server"]
        context = ssl.create_default_context(cadata=base64.b64decode(config["clusters"][0]["cluster"]["certificate-authority-data"]).decode())
        node_token = sys.argv[2]
        admin = open(sys.argv[3]).read().strip()

        def parse(data):
            try:
                return json.loads(data or b"null")
            except ValueError:
                return data.decode()

        def call(method, path, body=None, token=None, content_type="application/json"):
            request = urllib.request.Request(server + path, data=body, method=method)
            if token:
                request.add_header("Authorization", "Bearer " + token)
            request.add_header("Content-Type", content_type)
            try:
                with urllib.request.urlopen(request, context=context) as response:
                    return response.status, parse(response.read())
            except urllib.error.HTTPError as error:
                return error.code, parse(error.read())

        pod = json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                          "spec": {"containers": [{"name": "c", "image": "busybox"}]}}).encode()
        results = {
            "anonymous": call("GET", "/api/v1/pods")[0],
            "badToken": call("POST", "/api/v1/namespaces/default/pods", pod, token="nope")[0],
            "healthz": call("GET", "/healthz")[0],
            "oversized": call("POST", "/api/v1/namespaces/default/configmaps", b"{" + b" " * (4 * 1024 * 1024) + b"}", token=admin)[0],
            "malformed": call("POST", "/api/v1/namespaces/default/pods", b"{\"kind\":", token=admin)[0],
            "malformedYAML": call("POST", "/api/v1/namespaces/default/configmaps", b"metadata:\n  name: x\n data: [1", token=admin, content_type="application/yaml")[0],
            "yamlCreate": call("POST", "/api/v1/namespaces/kube-public/configmaps", b"metadata:\n  name: from-yaml\ndata:\n  mode: fast\n", token=admin, content_type="application/yaml")[0],
            "wrongKind": call("POST", "/api/v1/namespaces/default/pods", pod.replace(b"\"Pod\"", b"\"Service\""), token=admin)[0],
            "badQuantity": call("POST", "/api/v1/namespaces/default/pods", pod.replace(b"\"busybox\"}", b"\"busybox\", \"resources\": {\"limits\": {\"memory\": \"1Qb\"}}}"), token=admin)[0],
            "nodeCreatesOtherNode": call("POST", "/api/v1/nodes", json.dumps({"metadata": {"name": "other"}}).encode(), token=node_token)[0],
            "nodeCreatesPod": call("POST", "/api/v1/namespaces/default/pods", pod, token=node_token)[0],
            "nodeCreatesOwnNode": call("POST", "/api/v1/nodes", json.dumps({"metadata": {"name": "n1"}}).encode(), token=node_token)[0],
        }
        status, pods = call("GET", "/api/v1/pods", token=admin)
        results["podsAfter"] = len(pods["items"])
        status, configmaps = call("GET", "/api/v1/namespaces/default/configmaps", token=admin)
        # kube-root-ca.crt is the root-ca-cert-publisher's, not a request's.
        results["configmapsAfter"] = len([c for c in configmaps["items"] if c["metadata"]["name"] != "kube-root-ca.crt"])
        status, nodes = call("GET", "/api/v1/nodes", token=admin)
        results["nodesAfter"] = sorted(n["metadata"]["name"] for n in nodes["items"])
        print(json.dumps(results, sort_keys=True))
        """#

    @Test func badRequestsGetTheRightStatusOverHTTPSAndChangeNothing() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        let joinToken = try String(contentsOfFile: server.directory + "/node-token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let nodeToken = await Self.nodeToken(joinToken: joinToken, node: "n1")
        try Self.probe.write(toFile: server.directory + "/probe.py", atomically: true, encoding: .utf8)
        let result = try await Tools.run(
            try #require(Tools.which("python3")), [server.directory + "/probe.py", server.kubeconfig, nodeToken, server.directory + "/pki/admin.token"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == #"""
                {"anonymous": 401, "badQuantity": 422, "badToken": 401, "configmapsAfter": 0, "healthz": 200, "malformed": 400, "malformedYAML": 400, "nodeCreatesOtherNode": 403, "nodeCreatesOwnNode": 201, "nodeCreatesPod": 403, "nodesAfter": ["n1"], "oversized": 413, "podsAfter": 0, "wrongKind": 400, "yamlCreate": 201}
                """#)
    }

    /// `skiff-node.<node>.<hex HMAC-SHA256(join token, node)>`, computed with Python's hmac.
    static func nodeToken(joinToken: String, node: String) async -> String {
        let script =
            "import hmac,hashlib,sys; print('skiff-node.%s.%s' % (sys.argv[2], hmac.new(sys.argv[1].encode(), sys.argv[2].encode(), hashlib.sha256).hexdigest()))"
        let output = try? await Tools.run(Tools.which("python3") ?? "/usr/bin/python3", ["-c", script, joinToken, node])
        return output?.stdout.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }
}
