import SkiffAPI
import SkiffAPIServer
import Testing

/// The garbage collector (ownerReferences, propagation policies) and the namespace controller,
/// running in process against a real SQLite store.
@Suite struct GarbageCollectorTests {
    static let replicaSets = "/apis/apps/v1/namespaces/default/replicasets"
    static let pods = "/api/v1/namespaces/default/pods"

    /// A ReplicaSet and `count` pods it owns; pods named in `bound` are on a node (graceful deletion).
    static func replicaSetWithPods(_ api: TestAPI, count: Int = 2, bound: Set<String> = [], block: Bool = true) async throws -> String {
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
            var pod = TestAPI.pod(name, labels: ["app": "rs"], node: bound.contains(name) ? "n1" : nil)
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

    func status(_ api: TestAPI, _ path: String) async throws -> Int { try await api.call("GET", path).status }

    @Test("Background (the default): the owner goes at once, then its pods; bound pods are deleted gracefully")
    func backgroundDeletesDependents() async throws {
        let api = try await TestAPI(controllers: true)
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
        let api = try await TestAPI(controllers: true)
        _ = try await Self.replicaSetWithPods(api, count: 2)
        let deleting = try await api.call("DELETE", "\(Self.replicaSets)/rs", ["propagationPolicy": "Orphan"])
        #expect(deleting.status == 200)
        #expect(deleting.body["metadata"]["finalizers"] == ["orphan"])
        #expect(deleting.body["metadata"]["deletionTimestamp"].string != nil)
        #expect(try await api.eventually { try await status(api, "\(Self.replicaSets)/rs") == 404 })
        for name in ["rs-0", "rs-1"] {
            let pod = try await api.call("GET", "\(Self.pods)/\(name)")
            #expect(pod.status == 200)
            #expect(pod.body["metadata"]["ownerReferences"].isNull)
        }
    }

    @Test("Foreground: the owner waits with foregroundDeletion until blocking dependents are really gone")
    func foregroundWaitsForBlockingDependents() async throws {
        let api = try await TestAPI(controllers: true)
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
        let api = try await TestAPI(controllers: true)
        _ = try await Self.replicaSetWithPods(api, count: 1, block: false)
        _ = try await api.call("DELETE", "\(Self.replicaSets)/rs", query: ["propagationPolicy": "Foreground"])
        #expect(try await api.eventually { try await status(api, "\(Self.replicaSets)/rs") == 404 })
        #expect(try await api.eventually { try await status(api, "\(Self.pods)/rs-0") == 404 })
    }

    @Test("a dependent with another live owner keeps living, minus the dead owner's reference")
    func secondOwnerKeepsDependent() async throws {
        let api = try await TestAPI(controllers: true)
        let uid = try await Self.replicaSetWithPods(api, count: 1)
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
        #expect(!uid.isEmpty)
    }

    @Test("an object whose owner never existed (or has another uid) is collected")
    func danglingOwnerIsCollected() async throws {
        let api = try await TestAPI(controllers: true)
        var pod = TestAPI.pod("stray")
        pod["metadata"]["ownerReferences"] = [["apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "gone", "uid": "00000000-0000-0000-0000-000000000000"]]
        #expect(try await api.call("POST", Self.pods, pod).status == 201)
        #expect(try await api.eventually { try await status(api, "\(Self.pods)/stray") == 404 })
    }

    @Test("an unsupported propagationPolicy is a 422 and deletes nothing")
    func badPolicyIsRejected() async throws {
        let api = try await TestAPI()
        _ = try await api.call("POST", "/api/v1/namespaces/default/configmaps", ["metadata": ["name": "keep"]])
        let bad = try await api.call("DELETE", "/api/v1/namespaces/default/configmaps/keep", ["propagationPolicy": "Sometimes"])
        #expect(bad.status == 422)
        #expect(bad.body["message"].string?.contains("Unsupported value: \"Sometimes\"") == true)
        #expect(try await status(api, "/api/v1/namespaces/default/configmaps/keep") == 200)
    }
}

@Suite struct NamespaceControllerTests {
    @Test("deleting a namespace makes it Terminating, refuses new content with 403, empties it, then removes it")
    func namespaceTermination() async throws {
        let api = try await TestAPI(controllers: true)
        let created = try await api.call("POST", "/api/v1/namespaces", ["metadata": ["name": "team"]])
        #expect(created.body["spec"]["finalizers"] == ["kubernetes"])
        _ = try await api.call("POST", "/api/v1/namespaces/team/configmaps", ["metadata": ["name": "cfg"]])
        // A pod on a node holds the namespace until its agent has stopped it.
        #expect(try await api.call("POST", "/api/v1/namespaces/team/pods", TestAPI.pod("web", node: "n1")).status == 201)
        let deleting = try await api.call("DELETE", "/api/v1/namespaces/team")
        #expect(deleting.status == 200)
        #expect(deleting.body["status"]["phase"] == "Terminating")
        #expect(deleting.body["metadata"]["deletionTimestamp"].string != nil)
        let refused = try await api.call("POST", "/api/v1/namespaces/team/configmaps", ["metadata": ["name": "late"]])
        #expect(refused.status == 403)
        #expect(refused.body["reason"] == "Forbidden")
        #expect(refused.body["message"] == "unable to create new content in namespace team because it is being terminated")
        #expect(try await api.eventually { try await api.call("GET", "/api/v1/namespaces/team/configmaps/cfg").status == 404 })
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

    @Test("default, kube-system and kube-public may not be deleted")
    func systemNamespacesStay() async throws {
        let api = try await TestAPI()
        for name in ["default", "kube-system", "kube-public"] {
            let result = try await api.call("DELETE", "/api/v1/namespaces/\(name)")
            #expect(result.status == 403)
            #expect(result.body["message"] == .string("namespaces \"\(name)\" is forbidden: this namespace may not be deleted"))
        }
    }
}
