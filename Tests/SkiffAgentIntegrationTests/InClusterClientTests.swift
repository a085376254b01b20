import Foundation
import SkiffTestSupport
import Testing

/// Issue 15's first "done means": a program in a pod talks to the API as its ServiceAccount,
/// with nothing but what the agent gives it (the projected token, the CA and namespace files,
/// the KUBERNETES_SERVICE_* variables), through the Python client's `load_incluster_config()`.
@Suite("in-cluster Python client (root)", .serialized)
struct InClusterClientTests {
    /// A python3 on this host that has the `kubernetes` package (scripts/setup installs it).
    static func python() async throws -> String {
        let found = try await Tools.run("/usr/bin/env", ["python3", "-c", "import sys, kubernetes; print(sys.executable)"])
        guard found.status == 0 else { throw Tools.Failure("python3 with the kubernetes package is missing: \(found.stderr)") }
        return found.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static let script = """
        import json, os, time
        print("service: " + os.environ.get("KUBERNETES_PORT", "unset"), flush=True)
        from kubernetes import client, config
        from kubernetes.client.rest import ApiException
        config.load_incluster_config()
        v1 = client.CoreV1Api()
        namespace = open("/var/run/secrets/kubernetes.io/serviceaccount/namespace").read()
        names = sorted(p.metadata.name for p in v1.list_namespaced_pod(namespace).items)
        print("pods: " + ",".join(names), flush=True)
        try:
            v1.list_namespaced_secret(namespace)
            print("secrets: allowed", flush=True)
        except ApiException as error:
            print("secrets: %d %s" % (error.status, json.loads(error.body)["message"]), flush=True)
        time.sleep(3600)
        """

    @Test(
        "a host-process pod's Python client lists pods with load_incluster_config(); Secrets are a 403 naming system:serviceaccount:NS:NAME; its token stops working when the pod is deleted (root)"
    )
    func pythonClientInAPod() async throws {
        let python = try await Self.python()
        try await AgentCluster.with(name: "incluster", clusterCIDRBlock: 13) { cluster in
            #expect(try await cluster.kubectl("create", "serviceaccount", "lister").status == 0)
            #expect(try await cluster.kubectl("create", "role", "pod-reader", "--verb=get,list", "--resource=pods").status == 0)
            #expect(try await cluster.kubectl("create", "rolebinding", "lister-reads", "--role=pod-reader", "--serviceaccount=default:lister").status == 0)
            // The agents here run no service proxy, so the Service's address would lead nowhere:
            // the pod's own variables point the client at the server directly (its certificate
            // names 127.0.0.1), as a user's may.
            let port = try #require(URL(string: try cluster.server.url)?.port)
            let indented = Self.script.split(separator: "\n").map { "          " + $0 }.joined(separator: "\n")
            let manifest = """
                apiVersion: v1
                kind: Pod
                metadata: {name: client}
                spec:
                  serviceAccountName: lister
                  hostNetwork: true
                  terminationGracePeriodSeconds: 1
                  containers:
                  - name: main
                    image: skiff.dev/host
                    env:
                    - {name: KUBERNETES_SERVICE_HOST, value: "127.0.0.1"}
                    - {name: KUBERNETES_SERVICE_PORT, value: "\(port)"}
                    command:
                    - \(python)
                    - -c
                    - |
                \(indented)
                """
            let applied = try await cluster.kubectl("apply", "-f", "-", input: manifest)
            #expect(applied.status == 0, "\(applied.stderr)")
            var logs = ""
            for _ in 0..<300 where !logs.contains("secrets:") {
                try await Task.sleep(for: .milliseconds(200))
                logs = try await cluster.kubectl("logs", "client").stdout
            }
            if !logs.contains("secrets:") {
                let previous = try await cluster.kubectl("logs", "client", "--previous")
                Issue.record("no answer from the client: \(logs)\nprevious: \(previous.stdout)\(previous.stderr)\n\(cluster.agentLog())")
            }
            // The agent's own variables for the kubernetes Service (the pod overrides only HOST and PORT).
            #expect(logs.contains("service: tcp://10.43.0.1:443\n"), "\(logs)")
            #expect(logs.contains("pods: client\n"), "\(logs)\n\(cluster.agentLog())")
            #expect(
                logs.contains(
                    #"secrets: 403 secrets is forbidden: User "system:serviceaccount:default:lister" cannot list resource "secrets" in API group "" in the namespace "default""#
                ), "\(logs)")

            // The agent's token file, as the pod sees it, and the variables it was given.
            let pod = try await cluster.pod("client")
            let uid = try #require((pod["metadata"] as? [String: Any])?["uid"] as? String)
            let volumes = cluster.agentData + "/pods/\(uid)/volumes"
            let volume = try #require(try FileManager.default.contentsOfDirectory(atPath: volumes).first { $0.hasPrefix("kube-api-access-") })
            let token = try String(contentsOfFile: "\(volumes)/\(volume)/token", encoding: .utf8)
            #expect(try String(contentsOfFile: "\(volumes)/\(volume)/namespace", encoding: .utf8) == "default")
            #expect(
                try String(contentsOfFile: "\(volumes)/\(volume)/ca.crt", encoding: .utf8)
                    == String(contentsOfFile: cluster.server.directory + "/pki/ca.crt", encoding: .utf8))
            #expect(try await cluster.kubectl("--token", token, "get", "pods").status == 0)
            #expect(try await cluster.kubectl("delete", "pod", "client", "--wait=true", "--timeout=60s").status == 0)
            var after = try await cluster.kubectl("--token", token, "get", "pods")
            for _ in 0..<50 where after.status == 0 {
                try await Task.sleep(for: .milliseconds(100))
                after = try await cluster.kubectl("--token", token, "get", "pods")
            }
            #expect(after.status != 0)
            #expect(after.stderr.contains("Unauthorized"), "\(after.stderr)")
        }
    }
}
