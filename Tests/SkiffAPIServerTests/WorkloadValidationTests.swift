import SkiffAPI
import SkiffAPIServer
import Testing

/// StatefulSet and ControllerRevision, and the rules every template-owning workload shares.
@Suite struct WorkloadValidationTests {
    static let template: JSON = ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [["name": "web", "image": "nginx"]]]]

    static func workload(_ name: String, spec extra: JSON = .emptyObject) -> JSON {
        var spec: JSON = ["selector": ["matchLabels": ["app": "web"]], "template": template]
        for (key, value) in extra.object ?? [:] { spec[key] = value }
        return ["metadata": ["name": .string(name)], "spec": spec]
    }

    static func fields(_ result: TestAPI.Result) -> Set<String> {
        Set((result.body["details"]["causes"].array ?? []).compactMap { $0["field"].string })
    }

    @Test("a StatefulSet gets Kubernetes' defaults and serves status and scale")
    func statefulSetDefaults() async throws {
        let api = try await TestAPI()
        let path = "/apis/apps/v1/namespaces/default/statefulsets"
        var statefulSet = Self.workload("db", spec: ["serviceName": "db"])
        statefulSet["spec"]["volumeClaimTemplates"] = [
            ["metadata": ["name": "data"], "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]]]]
        ]
        let created = try await api.call("POST", path, statefulSet)
        #expect(created.status == 201, "\(created.body)")
        let spec = created.body["spec"]
        #expect(spec["replicas"] == 1)
        #expect(spec["podManagementPolicy"] == "OrderedReady")
        #expect(spec["updateStrategy"] == ["type": "RollingUpdate", "rollingUpdate": ["partition": 0]])
        #expect(spec["revisionHistoryLimit"] == 10)
        #expect(spec["persistentVolumeClaimRetentionPolicy"] == ["whenDeleted": "Retain", "whenScaled": "Retain"])
        #expect(spec["volumeClaimTemplates"][0]["spec"]["volumeMode"] == "Filesystem")
        let scaled = try await api.call(
            "PATCH", "\(path)/db/scale", ["spec": ["replicas": 3]], contentType: "application/merge-patch+json")
        #expect(scaled.status == 200)
        #expect(try await api.call("GET", "\(path)/db").body["spec"]["replicas"] == 3)
        var status = try await api.call("GET", "\(path)/db").body
        status["status"] = ["replicas": 3, "readyReplicas": 2]
        #expect(try await api.call("PUT", "\(path)/db/status", status).status == 200)
        let table = try await api.call("GET", path, accept: "application/json;as=Table;v=v1;g=meta.k8s.io")
        #expect((table.body["columnDefinitions"].array ?? []).compactMap { $0["name"].string } == ["Name", "Ready", "Age", "Containers", "Images"])
        #expect(table.body["rows"][0]["cells"][1] == "2/3")
    }

    @Test("a StatefulSet's claim templates need unique valid names, access modes and a storage request")
    func statefulSetClaimTemplates() async throws {
        let api = try await TestAPI()
        var statefulSet = Self.workload("db", spec: ["podManagementPolicy": "Sometimes"])
        statefulSet["spec"]["volumeClaimTemplates"] = [
            ["metadata": ["name": "data"], "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]]]],
            ["metadata": ["name": "data"], "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]]]],
            ["metadata": ["name": "Bad_Name"], "spec": ["resources": ["requests": ["storage": "lots"]]]],
        ]
        let result = try await api.call("POST", "/apis/apps/v1/namespaces/default/statefulsets", statefulSet)
        #expect(result.status == 422)
        #expect(
            Self.fields(result) == [
                "spec.podManagementPolicy", "spec.volumeClaimTemplates[1].metadata.name", "spec.volumeClaimTemplates[2].metadata.name",
                "spec.volumeClaimTemplates[2].spec.accessModes", "spec.volumeClaimTemplates[2].spec.resources.requests.storage",
            ])
    }

    @Test(
        "every workload kind rejects a selector that does not match its template and negative replicas",
        arguments: ["deployments", "replicasets", "daemonsets", "statefulsets"])
    func selectorAndReplicas(plural: String) async throws {
        let api = try await TestAPI()
        var workload = Self.workload("web")
        workload["spec"]["selector"] = ["matchLabels": ["app": "other"]]
        if plural != "daemonsets" { workload["spec"]["replicas"] = -1 }
        let result = try await api.call("POST", "/apis/apps/v1/namespaces/default/\(plural)", workload)
        #expect(result.status == 422)
        var expected: Set<String> = ["spec.template.metadata.labels"]
        if plural != "daemonsets" { expected.insert("spec.replicas") }
        #expect(Self.fields(result) == expected)
        #expect(try await api.call("GET", "/apis/apps/v1/namespaces/default/\(plural)/web").status == 404)
    }

    @Test(
        "rolling update bounds: both zero, a bad percent, a negative count or over 100% unavailable are 422s",
        arguments: [
            (["maxSurge": 0, "maxUnavailable": 0], "spec.strategy.rollingUpdate.maxUnavailable"),
            (["maxSurge": "0%", "maxUnavailable": "0%"], "spec.strategy.rollingUpdate.maxUnavailable"),
            (["maxSurge": "25 percent"], "spec.strategy.rollingUpdate.maxSurge"),
            (["maxSurge": -1], "spec.strategy.rollingUpdate.maxSurge"),
            (["maxUnavailable": "150%"], "spec.strategy.rollingUpdate.maxUnavailable"),
        ] as [(JSON, String)])
    func deploymentRollingUpdate(rollingUpdate: JSON, field: String) async throws {
        let api = try await TestAPI()
        let deployment = Self.workload("web", spec: ["strategy": ["type": "RollingUpdate", "rollingUpdate": rollingUpdate]])
        let result = try await api.call("POST", "/apis/apps/v1/namespaces/default/deployments", deployment)
        #expect(result.status == 422)
        #expect(Self.fields(result) == [field])
    }

    @Test("a Deployment sent with an empty strategy gets RollingUpdate 25%/25%; a DaemonSet with both bounds 0 is refused")
    func strategyDefaultsAndDaemonSetBounds() async throws {
        let api = try await TestAPI()
        let created = try await api.call("POST", "/apis/apps/v1/namespaces/default/deployments", Self.workload("web", spec: ["strategy": .emptyObject]))
        #expect(created.body["spec"]["strategy"] == ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": "25%", "maxSurge": "25%"]])
        let daemonSet = Self.workload("agent", spec: ["updateStrategy": ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": 0, "maxSurge": 0]]])
        let refused = try await api.call("POST", "/apis/apps/v1/namespaces/default/daemonsets", daemonSet)
        #expect(refused.status == 422)
        #expect(Self.fields(refused) == ["spec.updateStrategy.rollingUpdate.maxUnavailable"])
    }

    @Test("Job counts may not be negative, and a Job's pods are selected by its generated uid label")
    func jobs() async throws {
        let api = try await TestAPI()
        let path = "/apis/batch/v1/namespaces/default/jobs"
        var job: JSON = ["metadata": ["name": "once"], "spec": ["template": ["spec": ["containers": [["name": "c", "image": "busybox"]]]]]]
        job["spec"]["completions"] = -1
        job["spec"]["parallelism"] = -2
        job["spec"]["backoffLimit"] = -3
        let refused = try await api.call("POST", path, job)
        #expect(refused.status == 422)
        #expect(Self.fields(refused) == ["spec.completions", "spec.parallelism", "spec.backoffLimit"])
        job["spec"] = ["template": ["spec": ["containers": [["name": "c", "image": "busybox"]]]]]
        let created = try await api.call("POST", path, job)
        #expect(created.status == 201)
        let uid = try #require(created.body["metadata"]["uid"].string)
        #expect(created.body["spec"]["selector"] == ["matchLabels": ["batch.kubernetes.io/controller-uid": .string(uid)]])
        let labels = created.body["spec"]["template"]["metadata"]["labels"]
        #expect(
            labels["batch.kubernetes.io/controller-uid"] == .string(uid) && labels["job-name"] == "once" && labels["batch.kubernetes.io/job-name"] == "once")
    }

    @Test("a ControllerRevision is stored with its data and shows its controller")
    func controllerRevision() async throws {
        let api = try await TestAPI()
        let revision: JSON = [
            "metadata": [
                "name": "db-5d8f7c", "ownerReferences": [["apiVersion": "apps/v1", "kind": "StatefulSet", "name": "db", "uid": "u1", "controller": true]],
            ],
            "data": ["spec": ["template": Self.template]], "revision": 2,
        ]
        let path = "/apis/apps/v1/namespaces/default/controllerrevisions"
        #expect(try await api.call("POST", path, revision).status == 201)
        #expect(try await api.call("GET", "\(path)/db-5d8f7c").body["data"]["spec"]["template"] == Self.template)
        let table = try await api.call("GET", path, accept: "application/json;as=Table;v=v1;g=meta.k8s.io")
        #expect((table.body["columnDefinitions"].array ?? []).compactMap { $0["name"].string } == ["Name", "Controller", "Revision", "Age"])
        #expect(Array((table.body["rows"][0]["cells"].array ?? []).prefix(3)) == ["db-5d8f7c", "statefulset.apps/db", 2])
        var negative = revision
        negative["metadata"]["name"] = "db-x"
        negative["revision"] = -1
        #expect(try await api.call("POST", path, negative).status == 422)
    }
}
