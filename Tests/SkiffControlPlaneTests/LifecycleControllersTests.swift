import SkiffAPI
import Testing

/// The garbage collector, namespace controller and pod garbage collector on the real API (a
/// SQLite store) through the in-process client: their writes go through admission, preconditions
/// and graceful deletion like any client's.
@Suite struct LifecycleControllersTests {
    static let replicaSets = "/apis/apps/v1/namespaces/default/replicasets"
    static let pods = "/api/v1/namespaces/default/pods"

    static func pod(_ name: String, node: String? = nil) -> JSON {
        var pod: JSON = [
            "apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "labels": ["app": "rs"]],
            "spec": ["containers": [["name": "main", "image": "busybox:1.36"]]],
        ]
        if let node { pod["spec"]["nodeName"] = .string(node) }
        return pod
    }

    /// A ReplicaSet and `count` pods it owns; pods named in `bound` are on a node (graceful deletion).
    static func replicaSetWithPods(_ api: ControllerHarness, count: Int = 2, bound: Set<String> = [], block: Bool = true) async throws -> String {
        let replicaSet: JSON = [
            "metadata": ["name": "rs"],
            "spec": [
                "replicas": .int(Int64(count)), "selector": ["matchLabels": ["app": "rs"]],
                "template": ["metadata": ["labels": ["app": "rs"]], "spec": ["containers": [["name": "c", "image": "busybox"]]]],
            ],
        ]
        let created = try await api.call("POST", replicaSets, replicaSet)
        #expect(created.status == 201, "\(created.body)")
        let uid = try #require(created.body["metadata"]["uid"].string)
        for index in 0..<count {
            let name = "rs-\(index)"
            var pod = Self.pod(name, node: bound.contains(name) ? "n1" : nil)
            pod["metadata"]["ownerReferences"] = [
                [
                    "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": .string(uid), "controller": true,
                    "blockOwnerDeletion": .bool(block),
                ]
            ]
            #expect(try await api.call("POST", pods, pod).status == 201)
        }
        return uid
    }

    func status(_ api: ControllerHarness, _ path: String) async throws -> Int { try await api.call("GET", path).status }

    @Test("Background (the default): the owner goes at once, then its pods; bound pods are deleted gracefully")
    func backgroundDeletesDependents() async throws {
        let api = try await ControllerHarness.start(lifecycle: true)
        _ = try await Self.replicaSetWithPods(api, count: 2, bound: ["rs-1"])
        #expect(try await api.call("DELETE", "\(Self.replicaSets)/rs").status == 200)
        #expect(try await status(api, "\(Self.replicaSets)/rs") == 404)
        #expect(try await api.eventually { try await status(api, "\(Self.pods)/rs-0") == 404 })
        #expect(try await api.eventually { try await api.call("GET", "\(Self.pods)/rs-1").body["metadata"]["deletionTimestamp"].string != nil })
        // The agent, having stopped it, deletes it with grace 0.
        #expect(try await api.call("DELETE", "\(Self.pods)/rs-1", query: ["gracePeriodSeconds": "0"]).status == 200)
        #expect(try await status(api, "\(Self.pods)/rs-1") == 404)
    }

    @Test("Orphan: the dependents lose their owner reference and stay; then the owner goes")
    func orphanKeepsDependents() async throws {
        let api = try await ControllerHarness.start(lifecycle: true)
        _ = try await Self.replicaSetWithPods(api, count: 2)
        let deleting = try await api.call("DELETE", "\(Self.replicaSets)/rs", ["propagationPolicy": "Orphan"])
        #expect(deleting.status == 200)
        #expect(deleting.body["metadata"]["finalizers"] == ["orphan"])
        #expect(try await api.eventually { try await status(api, "\(Self.replicaSets)/rs") == 404 })
        for name in ["rs-0", "rs-1"] {
            let pod = try await api.call("GET", "\(Self.pods)/\(name)")
            #expect(pod.status == 200)
            #expect(pod.body["metadata"]["ownerReferences"].isNull)
        }
    }

    @Test("Foreground: the owner waits with foregroundDeletion until blocking dependents are really gone")
    func foregroundWaitsForBlockingDependents() async throws {
        let api = try await ControllerHarness.start(lifecycle: true)
        _ = try await Self.replicaSetWithPods(api, count: 2, bound: ["rs-1"])
        let deleting = try await api.call("DELETE", "\(Self.replicaSets)/rs", query: ["propagationPolicy": "Foreground"])
        #expect(deleting.body["metadata"]["finalizers"] == ["foregroundDeletion"])
        #expect(try await api.eventually { try await status(api, "\(Self.pods)/rs-0") == 404 })
        #expect(try await api.eventually { try await api.call("GET", "\(Self.pods)/rs-1").body["metadata"]["deletionTimestamp"].string != nil })
        // The bound pod is still stopping: the owner must still be there.
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await status(api, "\(Self.replicaSets)/rs") == 200)
        _ = try await api.call("DELETE", "\(Self.pods)/rs-1", query: ["gracePeriodSeconds": "0"])
        #expect(try await api.eventually { try await status(api, "\(Self.replicaSets)/rs") == 404 })
    }

    @Test("Foreground without blockOwnerDeletion: the owner need not wait, the dependents still go")
    func foregroundWithoutBlocking() async throws {
        let api = try await ControllerHarness.start(lifecycle: true)
        _ = try await Self.replicaSetWithPods(api, count: 1, block: false)
        _ = try await api.call("DELETE", "\(Self.replicaSets)/rs", query: ["propagationPolicy": "Foreground"])
        #expect(try await api.eventually { try await status(api, "\(Self.replicaSets)/rs") == 404 })
        #expect(try await api.eventually { try await status(api, "\(Self.pods)/rs-0") == 404 })
    }

    @Test("a dependent with another live owner keeps living, minus the dead owner's reference")
    func secondOwnerKeepsDependent() async throws {
        let api = try await ControllerHarness.start(lifecycle: true)
        _ = try await Self.replicaSetWithPods(api, count: 1)
        let other = try await api.call("POST", "/api/v1/namespaces/default/configmaps", ["metadata": ["name": "owner"]])
        var references = try await api.call("GET", "\(Self.pods)/rs-0").body["metadata"]["ownerReferences"].array ?? []
        references.append(["apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": other.body["metadata"]["uid"]])
        let patched = try await api.call(
            "PATCH", "\(Self.pods)/rs-0", ["metadata": ["ownerReferences": .array(references)]], contentType: "application/merge-patch+json")
        #expect(patched.status == 200, "\(patched.body)")
        _ = try await api.call("DELETE", "\(Self.replicaSets)/rs")
        #expect(
            try await api.eventually {
                let refs = try await api.call("GET", "\(Self.pods)/rs-0").body["metadata"]["ownerReferences"].array ?? []
                return refs.count == 1 && refs[0]["kind"] == "ConfigMap"
            })
    }

    @Test("an object whose owner never existed (or has another uid) is collected; one of an unserved kind is kept")
    func danglingOwnerIsCollected() async throws {
        let api = try await ControllerHarness.start(lifecycle: true)
        var stray = Self.pod("stray")
        stray["metadata"]["ownerReferences"] = [["apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "gone", "uid": "00000000-0000-0000-0000-000000000000"]]
        #expect(try await api.call("POST", Self.pods, stray).status == 201)
        var foreign = Self.pod("foreign")
        foreign["metadata"]["ownerReferences"] = [
            ["apiVersion": "example.com/v1", "kind": "Gadget", "name": "g", "uid": "11111111-0000-0000-0000-000000000000"]
        ]
        #expect(try await api.call("POST", Self.pods, foreign).status == 201)
        #expect(try await api.eventually { try await status(api, "\(Self.pods)/stray") == 404 })
        #expect(try await status(api, "\(Self.pods)/foreign") == 200)
    }

    @Test("deleting a namespace empties it of every kind, reports what remains, then removes it")
    func namespaceTermination() async throws {
        let api = try await ControllerHarness.start(lifecycle: true)
        #expect(try await api.call("POST", "/api/v1/namespaces", ["metadata": ["name": "team"]]).status == 201)
        _ = try await api.call("POST", "/api/v1/namespaces/team/configmaps", ["metadata": ["name": "cfg"]])
        let deployment: JSON = [
            "metadata": ["name": "web"],
            "spec": [
                "selector": ["matchLabels": ["app": "web"]],
                "template": ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [["name": "c", "image": "busybox"]]]],
            ],
        ]
        #expect(try await api.call("POST", "/apis/apps/v1/namespaces/team/deployments", deployment).status == 201)
        // A pod on a node holds the namespace until its agent has stopped it.
        #expect(try await api.call("POST", "/api/v1/namespaces/team/pods", Self.pod("web", node: "n1")).status == 201)
        #expect(try await api.call("DELETE", "/api/v1/namespaces/team").status == 200)
        #expect(try await api.eventually { try await api.call("GET", "/api/v1/namespaces/team/configmaps/cfg").status == 404 })
        #expect(try await api.eventually { try await api.call("GET", "/apis/apps/v1/namespaces/team/deployments/web").status == 404 })
        #expect(try await api.eventually { try await api.call("GET", "/api/v1/namespaces/team/pods/web").body["metadata"]["deletionTimestamp"].string != nil })
        #expect(
            try await api.eventually {
                try await api.call("GET", "/api/v1/namespaces/team").body["status"]["conditions"][0]["message"]
                    == "Some resources are remaining: pods has 1 resource instances"
            })
        #expect(try await api.call("GET", "/api/v1/namespaces/team").status == 200)
        _ = try await api.call("DELETE", "/api/v1/namespaces/team/pods/web", query: ["gracePeriodSeconds": "0"])
        #expect(try await api.eventually { try await api.call("GET", "/api/v1/namespaces/team").status == 404 })
    }

    @Test("pod GC force-deletes pods bound to a node that is gone, after the grace, and keeps those on live nodes")
    func podsOfGoneNodesAreCollected() async throws {
        let api = try await ControllerHarness.start(lifecycle: true, orphanGrace: .milliseconds(300))
        for node in ["alive", "doomed"] {
            #expect(try await api.call("POST", "/api/v1/nodes", ["metadata": ["name": .string(node)]]).status == 201)
        }
        #expect(try await api.call("POST", Self.pods, Self.pod("on-alive", node: "alive")).status == 201)
        #expect(try await api.call("POST", Self.pods, Self.pod("on-doomed", node: "doomed")).status == 201)
        #expect(try await api.call("POST", Self.pods, Self.pod("on-never", node: "never-registered")).status == 201)
        #expect(try await api.call("DELETE", "/api/v1/nodes/doomed").status == 200)
        #expect(try await api.eventually { try await status(api, "\(Self.pods)/on-doomed") == 404 })
        #expect(try await api.eventually { try await status(api, "\(Self.pods)/on-never") == 404 })
        #expect(try await status(api, "\(Self.pods)/on-alive") == 200)
    }

    @Test("pod GC deletes the oldest terminated pods beyond the threshold")
    func terminatedPodsOverThreshold() async throws {
        let api = try await ControllerHarness.start(lifecycle: true, terminatedPodThreshold: 2)
        for index in 0..<4 {
            let name = "done-\(index)"
            #expect(try await api.call("POST", Self.pods, Self.pod(name)).status == 201)
            let patched = try await api.call(
                "PATCH", "\(Self.pods)/\(name)/status", ["status": ["phase": "Succeeded"]], contentType: "application/merge-patch+json")
            #expect(patched.status == 200)
            // creationTimestamp has a resolution of a second: make the order unambiguous.
            if index < 3 { try await Task.sleep(for: .milliseconds(1050)) }
        }
        #expect(try await api.eventually { try await status(api, "\(Self.pods)/done-1") == 404 })
        #expect(try await status(api, "\(Self.pods)/done-0") == 404)
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await status(api, "\(Self.pods)/done-2") == 200)
        #expect(try await status(api, "\(Self.pods)/done-3") == 200)
    }
}
