import SkiffAPI
import SkiffAPIServer
import Testing

@Suite struct ResourceCRUDTests {
    let pods = "/api/v1/namespaces/default/pods"

    @Test func createThenGetReturnsObjectWithServerMetadataAndDefaults() async throws {
        let api = try await TestAPI()
        let created = try await api.call("POST", pods, TestAPI.pod("web"))
        #expect(created.status == 201)
        let fetched = try await api.call("GET", "\(pods)/web")
        #expect(fetched.status == 200)
        let metadata = fetched.body["metadata"]
        #expect(metadata["uid"].string?.count == 36)
        #expect(metadata["creationTimestamp"].string != nil)
        #expect(metadata["resourceVersion"] == created.body["metadata"]["resourceVersion"])
        #expect(metadata["namespace"] == "default")
        #expect(fetched.body["status"]["phase"] == "Pending")
        #expect(fetched.body["spec"]["restartPolicy"] == "Always")
        #expect(fetched.body["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent")
    }

    @Test func generateNameProducesDistinctNames() async throws {
        let api = try await TestAPI()
        var pod = TestAPI.pod("")
        pod["metadata"] = ["generateName": "job-"]
        let first = try await api.call("POST", pods, pod)
        let second = try await api.call("POST", pods, pod)
        #expect(first.status == 201 && second.status == 201)
        let firstName = try #require(first.body["metadata"]["name"].string)
        #expect(firstName.hasPrefix("job-") && firstName.count == 9)
        #expect(firstName != second.body["metadata"]["name"].string)
    }

    @Test func createInMissingNamespaceIsNotFound() async throws {
        let api = try await TestAPI()
        let result = try await api.call("POST", "/api/v1/namespaces/nope/pods", TestAPI.pod("web"))
        #expect(result.status == 404)
        #expect(result.body["kind"] == "Status")
        #expect(result.body["details"]["name"] == "nope")
    }

    @Test func duplicateCreateIsAlreadyExists() async throws {
        let api = try await TestAPI()
        _ = try await api.call("POST", pods, TestAPI.pod("web"))
        let again = try await api.call("POST", pods, TestAPI.pod("web"))
        #expect(again.status == 409)
        #expect(again.body["reason"] == "AlreadyExists")
    }

    @Test func updateWithStaleResourceVersionIsConflictAndChangesNothing() async throws {
        let api = try await TestAPI()
        let created = try await api.call("POST", "/api/v1/namespaces/default/configmaps", ["metadata": ["name": "cfg"], "data": ["a": "1"]])
        var update = created.body
        update["data"] = ["a": "2"]
        let first = try await api.call("PUT", "/api/v1/namespaces/default/configmaps/cfg", update)
        #expect(first.status == 200)
        update["data"] = ["a": "3"]
        let stale = try await api.call("PUT", "/api/v1/namespaces/default/configmaps/cfg", update)
        #expect(stale.status == 409)
        #expect(stale.body["reason"] == "Conflict")
        #expect(try await api.call("GET", "/api/v1/namespaces/default/configmaps/cfg").body["data"]["a"] == "2")
    }

    @Test func statusSubresourceChangesOnlyStatusAndMainUpdateKeepsStatus() async throws {
        let api = try await TestAPI()
        let created = try await api.call("POST", pods, TestAPI.pod("web"))
        var withStatus = created.body
        withStatus["status"]["phase"] = "Running"
        withStatus["metadata"]["labels"] = ["sneaky": "yes"]
        let status = try await api.call("PUT", "\(pods)/web/status", withStatus)
        #expect(status.status == 200)
        #expect(status.body["status"]["phase"] == "Running")
        #expect(status.body["metadata"]["labels"]["sneaky"].isNull)
        var main = status.body
        main["status"]["phase"] = "Failed"
        main["metadata"]["labels"] = ["app": "web"]
        let updated = try await api.call("PUT", "\(pods)/web", main)
        #expect(updated.body["status"]["phase"] == "Running")
        #expect(updated.body["metadata"]["labels"]["app"] == "web")
    }

    @Test func patchTypesAllApplyToDeployments() async throws {
        let api = try await TestAPI()
        let path = "/apis/apps/v1/namespaces/default/deployments"
        let deployment: JSON = [
            "metadata": ["name": "web"],
            "spec": [
                "selector": ["matchLabels": ["app": "web"]],
                "template": [
                    "metadata": ["labels": ["app": "web"]],
                    "spec": ["containers": [["name": "web", "image": "nginx:1"], ["name": "log", "image": "busybox"]]],
                ],
            ],
        ]
        #expect(try await api.call("POST", path, deployment).status == 201)
        let strategic = try await api.call(
            "PATCH", "\(path)/web", ["spec": ["template": ["spec": ["containers": [["name": "web", "image": "nginx:2"]]]]]],
            contentType: "application/strategic-merge-patch+json")
        #expect(strategic.status == 200)
        #expect(strategic.body["spec"]["template"]["spec"]["containers"].array?.count == 2)
        #expect(strategic.body["metadata"]["generation"] == 2)
        let merge = try await api.call("PATCH", "\(path)/web", ["metadata": ["labels": ["team": "a"]]], contentType: "application/merge-patch+json")
        #expect(merge.body["metadata"]["labels"]["team"] == "a")
        #expect(merge.body["metadata"]["generation"] == 2)
        let jsonPatch = try await api.call(
            "PATCH", "\(path)/web", [["op": "replace", "path": "/spec/replicas", "value": 4]], contentType: "application/json-patch+json")
        #expect(jsonPatch.body["spec"]["replicas"] == 4)
        let unsupported = try await api.call("PATCH", "\(path)/web", ["a": 1], contentType: "text/plain")
        #expect(unsupported.status == 415)
    }

    @Test func serverSideApplyCreatesThenUpdates() async throws {
        let api = try await TestAPI()
        let path = "/api/v1/namespaces/default/configmaps/applied"
        let first = try await api.call(
            "PATCH", path, ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "applied"], "data": ["a": "1"]],
            query: ["fieldManager": "test"], contentType: "application/apply-patch+yaml")
        #expect(first.status == 201)
        let second = try await api.call(
            "PATCH", path, ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "applied"], "data": ["a": "2"]],
            query: ["fieldManager": "test"], contentType: "application/apply-patch+yaml")
        #expect(second.status == 200)
        #expect(second.body["data"]["a"] == "2")
    }

    @Test func scaleSubresourceReadsAndWritesReplicas() async throws {
        let api = try await TestAPI()
        let path = "/apis/apps/v1/namespaces/default/deployments"
        let deployment: JSON = [
            "metadata": ["name": "web"],
            "spec": [
                "replicas": 2, "selector": ["matchLabels": ["app": "web"]],
                "template": ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [["name": "web", "image": "nginx"]]]],
            ],
        ]
        _ = try await api.call("POST", path, deployment)
        let scale = try await api.call("GET", "\(path)/web/scale")
        #expect(scale.body["kind"] == "Scale")
        #expect(scale.body["spec"]["replicas"] == 2)
        #expect(scale.body["status"]["selector"] == "app=web")
        let patched = try await api.call("PATCH", "\(path)/web/scale", ["spec": ["replicas": 5]], contentType: "application/merge-patch+json")
        #expect(patched.body["spec"]["replicas"] == 5)
        #expect(try await api.call("GET", "\(path)/web").body["spec"]["replicas"] == 5)
    }

    @Test func bindingAssignsANodeExactlyOnce() async throws {
        let api = try await TestAPI()
        _ = try await api.call("POST", pods, TestAPI.pod("web"))
        let binding: JSON = ["apiVersion": "v1", "kind": "Binding", "metadata": ["name": "web"], "target": ["kind": "Node", "name": "node-1"]]
        #expect(try await api.call("POST", "\(pods)/web/binding", binding).status == 201)
        let pod = try await api.call("GET", "\(pods)/web")
        #expect(pod.body["spec"]["nodeName"] == "node-1")
        #expect(pod.body["status"]["conditions"][0]["type"] == "PodScheduled")
        #expect(try await api.call("POST", "\(pods)/web/binding", binding).status == 409)
    }

    @Test func deletingABoundPodIsGracefulAndAnUnboundPodIsImmediate() async throws {
        let api = try await TestAPI()
        _ = try await api.call("POST", pods, TestAPI.pod("bound", node: "node-1"))
        _ = try await api.call("POST", pods, TestAPI.pod("unbound"))
        let graceful = try await api.call("DELETE", "\(pods)/bound")
        #expect(graceful.status == 200)
        #expect(graceful.body["metadata"]["deletionTimestamp"].string != nil)
        #expect(graceful.body["metadata"]["deletionGracePeriodSeconds"] == 30)
        #expect(try await api.call("GET", "\(pods)/bound").status == 200)
        #expect(try await api.call("DELETE", "\(pods)/bound", ["gracePeriodSeconds": 0]).status == 200)
        #expect(try await api.call("GET", "\(pods)/bound").status == 404)
        #expect(try await api.call("DELETE", "\(pods)/unbound").status == 200)
        #expect(try await api.call("GET", "\(pods)/unbound").status == 404)
    }

    @Test func finalizersDelayDeletionUntilTheLastIsRemoved() async throws {
        let api = try await TestAPI()
        let path = "/api/v1/namespaces/default/configmaps"
        _ = try await api.call("POST", path, ["metadata": ["name": "held", "finalizers": ["example.com/hold"]]])
        let deleting = try await api.call("DELETE", "\(path)/held")
        #expect(deleting.body["metadata"]["deletionTimestamp"].string != nil)
        #expect(try await api.call("GET", "\(path)/held").status == 200)
        let release = try await api.call("PATCH", "\(path)/held", ["metadata": ["finalizers": nil]], contentType: "application/merge-patch+json")
        #expect(release.status == 200)
        #expect(try await api.call("GET", "\(path)/held").status == 404)
    }

    @Test func servicesGetAClusterIPAndNodePorts() async throws {
        let api = try await TestAPI()
        let service: JSON = ["metadata": ["name": "web"], "spec": ["type": "NodePort", "selector": ["app": "web"], "ports": [["port": 80]]]]
        let created = try await api.call("POST", "/api/v1/namespaces/default/services", service)
        #expect(created.status == 201)
        #expect(created.body["spec"]["clusterIP"].string?.hasPrefix("10.43.") == true)
        #expect(created.body["spec"]["clusterIP"] != "10.43.0.1")
        #expect(created.body["spec"]["ports"][0]["nodePort"].int.map { (30000...32767).contains($0) } == true)
        #expect(created.body["spec"]["ports"][0]["targetPort"] == 80)
    }
}
