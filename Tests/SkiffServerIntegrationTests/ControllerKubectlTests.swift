import Foundation
import SkiffTestSupport
import Testing

/// Real kubectl against a real `skiff server`: server-side apply (application/apply-patch+yaml),
/// cascading deletion through the garbage collector, and namespace termination.
@Suite(.serialized) struct ControllerKubectlTests {
    func expectSuccess(_ output: Tools.Output, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(output.status == 0, "kubectl failed: \(output.stderr)", sourceLocation: sourceLocation)
    }

    /// Polls a kubectl command until `done` holds for its output (10 s at most).
    func eventually(_ server: ServerProcess, _ arguments: [String], _ done: (Tools.Output) -> Bool) async throws -> Bool {
        done(try await server.kubectl(arguments, until: done))
    }

    static let replicaSet = """
        apiVersion: apps/v1
        kind: ReplicaSet
        metadata: {name: rs}
        spec:
          replicas: 2
          selector: {matchLabels: {app: rs}}
          template:
            metadata: {labels: {app: rs}}
            spec:
              containers: [{name: c, image: busybox}]
        """

    /// The ReplicaSet, once its controller has made its two pods.
    func createReplicaSetWithPods(_ server: ServerProcess) async throws {
        expectSuccess(try await server.kubectl("apply", "-f", "-", input: Self.replicaSet))
        #expect(try await podCount(server, is: 2))
    }

    /// Waits until `kubectl get pods` lists `count` pods (10 s at most).
    func podCount(_ server: ServerProcess, is count: Int) async throws -> Bool {
        try await eventually(server, ["get", "pods", "-o", "jsonpath={.items[*].metadata.name}"]) { output in
            output.status == 0 && output.stdout.split(separator: " ").count == count
        }
    }

    @Test("kubectl apply --server-side creates and then updates through application/apply-patch+yaml")
    func serverSideApply() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        let manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast\n"
        let created = try await server.kubectl("apply", "--server-side", "-f", "-", input: manifest)
        expectSuccess(created)
        #expect(created.stdout == "configmap/settings serverside-applied\n")
        let updated = try await server.kubectl("apply", "--server-side", "-f", "-", input: manifest.replacingOccurrences(of: "fast", with: "slow"))
        expectSuccess(updated)
        #expect(try await server.kubectl("get", "configmap", "settings", "-o", "jsonpath={.data.mode}").stdout == "slow")
    }

    @Test("kubectl delete replicaset cascades: background deletes the pods, orphan keeps them, foreground waits for them")
    func cascadingDeletion() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        try await createReplicaSetWithPods(server)
        expectSuccess(try await server.kubectl("delete", "replicaset", "rs"))
        #expect(try await eventually(server, ["get", "pods"]) { $0.stderr.contains("No resources found") })

        try await createReplicaSetWithPods(server)
        expectSuccess(try await server.kubectl("delete", "replicaset", "rs", "--cascade=orphan"))
        #expect(try await server.kubectl("get", "replicaset", "rs").status != 0)
        let orphans = try await server.kubectl("get", "pods", "-o", "jsonpath={.items[*].metadata.labels.app} owners={.items[*].metadata.ownerReferences}")
        #expect(orphans.stdout == "rs rs owners=")
        expectSuccess(try await server.kubectl("delete", "pods", "--all"))

        try await createReplicaSetWithPods(server)
        // kubectl waits until the ReplicaSet is gone, which foreground allows only after the pods.
        let foreground = try await server.kubectl("delete", "replicaset", "rs", "--cascade=foreground", "--timeout=20s")
        expectSuccess(foreground)
        #expect(try await server.kubectl("get", "pods").stderr.contains("No resources found"))
    }

    static let deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 2
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers: [{name: c, image: busybox}]
        """

    @Test("kubectl delete deployment --cascade=foreground removes its ReplicaSet and pods first; --cascade=orphan keeps the ReplicaSet and its pods")
    func deploymentCascades() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        expectSuccess(try await server.kubectl("apply", "-f", "-", input: Self.deployment))
        #expect(try await podCount(server, is: 2))
        // kubectl waits until the Deployment is gone, which foreground allows only after the chain below it.
        expectSuccess(try await server.kubectl("delete", "deployment", "web", "--cascade=foreground", "--timeout=20s"))
        #expect(try await server.kubectl("get", "replicasets").stderr.contains("No resources found"))
        #expect(try await server.kubectl("get", "pods").stderr.contains("No resources found"))

        expectSuccess(try await server.kubectl("apply", "-f", "-", input: Self.deployment))
        #expect(try await podCount(server, is: 2))
        expectSuccess(try await server.kubectl("delete", "deployment", "web", "--cascade=orphan"))
        #expect(try await eventually(server, ["get", "deployment", "web"]) { $0.status != 0 })
        let kept = try await server.kubectl("get", "replicasets", "-o", "jsonpath={.items[*].metadata.labels.app} owners={.items[*].metadata.ownerReferences}")
        #expect(kept.stdout == "web owners=")
        // The pods still belong to the ReplicaSet.
        #expect(try await server.kubectl("get", "pods", "-o", "jsonpath={.items[*].metadata.ownerReferences[0].kind}").stdout == "ReplicaSet ReplicaSet")
    }

    @Test("kubectl delete namespace: Terminating, new content refused, removed once its pod is gone")
    func namespaceTermination() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        expectSuccess(try await server.kubectl("create", "namespace", "team"))
        expectSuccess(try await server.kubectl("create", "configmap", "settings", "--from-literal=mode=fast", "-n", "team"))
        let boundPod = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: team}\nspec:\n  nodeName: n1\n  containers: [{name: c, image: busybox}]\n"
        expectSuccess(try await server.kubectl("create", "-f", "-", input: boundPod))
        expectSuccess(try await server.kubectl("delete", "namespace", "team", "--wait=false"))
        #expect(try await server.kubectl("get", "namespace", "team", "-o", "jsonpath={.status.phase}").stdout == "Terminating")
        let refused = try await server.kubectl("create", "configmap", "late", "--from-literal=a=b", "-n", "team")
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("because it is being terminated"), "\(refused.stderr)")
        #expect(try await eventually(server, ["get", "configmaps", "-n", "team"]) { $0.stderr.contains("No resources found") })
        // The bound pod stops on its node first (here: deleted as its agent would, with grace 0).
        #expect(try await server.kubectl("get", "namespace", "team").status == 0)
        expectSuccess(try await server.kubectl("delete", "pod", "web", "-n", "team", "--grace-period=0", "--force"))
        expectSuccess(try await server.kubectl("wait", "--for=delete", "namespace/team", "--timeout=20s"))
    }
}

/// Server-side apply field ownership with real kubectl: conflicts and `--force-conflicts`.
@Suite struct ServerSideApplyKubectlTests {
    @Test("kubectl apply --server-side by another field manager conflicts until --force-conflicts")
    func conflictsAndForce() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        let manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast\n"
        let created = try await server.kubectl("apply", "--server-side", "-f", "-", input: manifest)
        #expect(created.status == 0, "\(created.stderr)")
        let fields = try await server.kubectl(
            "get", "configmap", "settings", "--show-managed-fields", "-o",
            "jsonpath={.metadata.managedFields[0].manager} {.metadata.managedFields[0].operation}")
        #expect(fields.stdout == "kubectl Apply")
        let changed = manifest.replacingOccurrences(of: "fast", with: "slow")
        let conflict = try await server.kubectl("apply", "--server-side", "--field-manager=ops", "-f", "-", input: changed)
        #expect(conflict.status != 0)
        #expect(conflict.stderr.contains(#"conflict with "kubectl" using v1: .data.mode"#), "\(conflict.stderr)")
        #expect(try await server.kubectl("get", "configmap", "settings", "-o", "jsonpath={.data.mode}").stdout == "fast")
        let forced = try await server.kubectl("apply", "--server-side", "--field-manager=ops", "--force-conflicts", "-f", "-", input: changed)
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try await server.kubectl("get", "configmap", "settings", "-o", "jsonpath={.data.mode}").stdout == "slow")
    }
}

/// A cluster CIDR with room for one node (`--cluster-cidr 10.42.0.0/24`): the second Node is
/// created anyway, kubectl shows why it has no range, and it gets the first one's when that goes.
@Suite struct PodCIDRExhaustionKubectlTests {
    static func node(_ name: String) -> String { "apiVersion: v1\nkind: Node\nmetadata:\n  name: \(name)\n" }

    @Test("kubectl: a Node beyond the cluster CIDR is created, a CIDRNotAvailable event and its condition say why, a freed range reaches it")
    func nodeWaitsForARange() async throws {
        let server = try await ServerProcess.start(extraArguments: ["--cluster-cidr", "10.42.0.0/24"])
        defer { server.stop() }
        let first = try await server.kubectl("create", "-f", "-", input: Self.node("first"))
        #expect(first.status == 0, "\(first.stderr)")
        let second = try await server.kubectl("create", "-f", "-", input: Self.node("second"))
        #expect(second.status == 0, "the second Node is created: \(second.stderr)")
        #expect(try await server.kubectl("get", "node", "first", "-o", "jsonpath={.spec.podCIDR}").stdout == "10.42.0.0/24")
        #expect(try await server.kubectl("get", "node", "second", "-o", "jsonpath={.spec.podCIDR}").stdout == "")

        let events = try await server.kubectl("get", "events", "--field-selector", "reason=CIDRNotAvailable", "-o", "wide")
        #expect(events.status == 0, "\(events.stderr)")
        let rows = Tools.rows(events.stdout)
        #expect(rows.count == 2, "one event: \(events.stdout)")
        #expect(events.stdout.contains("node/second"), "\(events.stdout)")
        #expect(events.stdout.contains("10.42.0.0/24"), "\(events.stdout)")
        let condition = try await server.kubectl(
            "get", "node", "second", "-o",
            #"jsonpath={.status.conditions[?(@.type=="NetworkUnavailable")].status} {.status.conditions[?(@.type=="NetworkUnavailable")].reason}"#)
        #expect(condition.stdout == "True CIDRNotAvailable", "\(condition.stdout) \(condition.stderr)")
        let described = try await server.kubectl("describe", "node", "second")
        #expect(described.stdout.contains("CIDRNotAvailable"), "\(described.stdout)")

        #expect(try await server.kubectl("delete", "node", "first").status == 0)
        var handedOver = false
        for _ in 0..<100 where !handedOver {
            handedOver = try await server.kubectl("get", "node", "second", "-o", "jsonpath={.spec.podCIDR}").stdout == "10.42.0.0/24"
            if !handedOver { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(handedOver, "the freed range went to the waiting Node")
    }
}

/// kubectl migrates client-side apply ownership to its server-side manager before the first
/// server-side apply; that works only if managedFields written by the client are honoured.
@Suite struct ClientToServerSideApplyTests {
    @Test("kubectl apply, then kubectl apply --server-side with a changed value, succeeds without conflicts")
    func upgradeFromClientSideApply() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        let manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast\n"
        let created = try await server.kubectl("apply", "-f", "-", input: manifest)
        #expect(created.status == 0, "\(created.stderr)")
        let upgraded = try await server.kubectl("apply", "--server-side", "-f", "-", input: manifest.replacingOccurrences(of: "fast", with: "slow"))
        #expect(upgraded.status == 0, "\(upgraded.stderr)")
        #expect(try await server.kubectl("get", "configmap", "settings", "-o", "jsonpath={.data.mode}").stdout == "slow")
        let managers = try await server.kubectl("get", "configmap", "settings", "--show-managed-fields", "-o", "jsonpath={.metadata.managedFields[*].manager}")
        #expect(managers.stdout.contains("kubectl"), "\(managers.stdout)")
    }
}
