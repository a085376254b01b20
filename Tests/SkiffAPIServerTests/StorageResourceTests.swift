import SkiffAPI
import SkiffAPIServer
import Testing

/// PersistentVolume, PersistentVolumeClaim and StorageClass: defaults, admission and columns.
@Suite struct StorageResourceTests {
    let claims = "/api/v1/namespaces/default/persistentvolumeclaims"
    let classes = "/apis/storage.k8s.io/v1/storageclasses"
    let table = "application/json;as=Table;v=v1;g=meta.k8s.io"

    static func claim(_ name: String, storageClass: JSON = .null, storage: JSON = "1Gi", modes: JSON = ["ReadWriteOnce"]) -> JSON {
        var claim: JSON = ["metadata": ["name": .string(name)], "spec": ["accessModes": modes, "resources": ["requests": ["storage": storage]]]]
        if !storageClass.isNull { claim["spec"]["storageClassName"] = storageClass }
        return claim
    }

    @Test("the cluster starts with local-path as its default StorageClass, shown as (default)")
    func defaultClass() async throws {
        let api = try await TestAPI()
        let localPath = try await api.call("GET", "\(classes)/local-path").body
        #expect(localPath["provisioner"] == "skiff.dev/local-path")
        #expect(localPath["volumeBindingMode"] == "WaitForFirstConsumer")
        #expect(localPath["reclaimPolicy"] == "Delete")
        #expect(localPath["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true")
        let rows = try await api.call("GET", classes, accept: table).body
        #expect(
            (rows["columnDefinitions"].array ?? []).compactMap { $0["name"].string } == [
                "Name", "Provisioner", "ReclaimPolicy", "VolumeBindingMode", "AllowVolumeExpansion", "Age",
            ])
        #expect(
            Array((rows["rows"][0]["cells"].array ?? []).prefix(5)) == [
                "local-path (default)", "skiff.dev/local-path", "Delete", "WaitForFirstConsumer", "false",
            ])
        // A second bootstrap (a restart) leaves the class as the administrator left it.
        var edited = localPath
        edited["metadata"]["annotations"] = .null
        #expect(try await api.call("PUT", "\(classes)/local-path", edited).status == 200)
        try await api.api.bootstrap()
        #expect(try await api.call("GET", "\(classes)/local-path").body["metadata"]["annotations"].isNull)
    }

    @Test("a new claim gets the protection finalizer, the default class when it names none, and Pending")
    func claimAdmission() async throws {
        let api = try await TestAPI()
        let created = try await api.call("POST", claims, Self.claim("data"))
        #expect(created.status == 201, "\(created.body)")
        #expect(created.body["metadata"]["finalizers"] == ["kubernetes.io/pvc-protection"])
        #expect(created.body["spec"]["storageClassName"] == "local-path")
        #expect(created.body["spec"]["volumeMode"] == "Filesystem")
        #expect(created.body["status"]["phase"] == "Pending")
        // "" asks for no class; an unknown class is accepted and waits.
        #expect(try await api.call("POST", claims, Self.claim("static", storageClass: "")).body["spec"]["storageClassName"] == "")
        let unknown = try await api.call("POST", claims, Self.claim("fast", storageClass: "fast-ssd"))
        #expect(unknown.status == 201)
        #expect(unknown.body["spec"]["storageClassName"] == "fast-ssd")
        // The finalizer is the controller's to lift: an update without it is not refilled.
        var lifted = created.body
        lifted["metadata"]["finalizers"] = .null
        #expect(try await api.call("PUT", "\(claims)/data", lifted).body["metadata"]["finalizers"].isNull)
        let rows = try await api.call("GET", claims, accept: table).body
        #expect(
            (rows["columnDefinitions"].array ?? []).compactMap { $0["name"].string } == [
                "Name", "Status", "Volume", "Capacity", "Access Modes", "StorageClass", "VolumeAttributesClass", "Age", "VolumeMode",
            ])
        #expect(Array((rows["rows"][0]["cells"].array ?? []).prefix(7)) == ["data", "Pending", "", "", "", "local-path", "<unset>"])
    }

    @Test(
        "a claim needs access modes and a valid storage request",
        arguments: [
            (JSON.null, ["ReadWriteOnce"] as JSON, "spec.resources[storage]"),
            ("lots", ["ReadWriteOnce"], "spec.resources.requests.storage"),
            ("1Gi", [], "spec.accessModes"),
            ("1Gi", ["WriteSometimes"], "spec.accessModes"),
            ("0", ["ReadWriteOnce"], "spec.resources[storage]"),
        ] as [(JSON, JSON, String)])
    func claimValidation(storage: JSON, modes: JSON, field: String) async throws {
        let api = try await TestAPI()
        var claim = Self.claim("bad", modes: modes)
        claim["spec"]["resources"]["requests"]["storage"] = storage
        let result = try await api.call("POST", claims, claim)
        #expect(result.status == 422)
        #expect((result.body["details"]["causes"].array ?? []).compactMap { $0["field"].string } == [field])
    }

    @Test("a PersistentVolume is cluster-scoped, defaults to Retain and Pending, and shows its claim")
    func volume() async throws {
        let api = try await TestAPI()
        let volume: JSON = [
            "metadata": ["name": "pv-1"],
            "spec": [
                "capacity": ["storage": "5Gi"], "accessModes": ["ReadWriteOnce", "ReadOnlyMany"], "hostPath": ["path": "/srv/pv-1"],
                "claimRef": ["namespace": "default", "name": "data"], "storageClassName": "manual",
            ],
        ]
        let created = try await api.call("POST", "/api/v1/persistentvolumes", volume)
        #expect(created.status == 201, "\(created.body)")
        #expect(created.body["spec"]["persistentVolumeReclaimPolicy"] == "Retain")
        #expect(created.body["status"]["phase"] == "Pending")
        let rows = try await api.call("GET", "/api/v1/persistentvolumes", accept: table).body
        #expect(
            Array((rows["rows"][0]["cells"].array ?? []).prefix(9)) == [
                "pv-1", "5Gi", "RWO,ROX", "Retain", "Pending", "default/data", "manual", "<unset>", "",
            ])
        var missing = volume
        missing["metadata"]["name"] = "pv-2"
        missing["spec"]["capacity"] = .null
        missing["spec"]["accessModes"] = .null
        let refused = try await api.call("POST", "/api/v1/persistentvolumes", missing)
        #expect(refused.status == 422)
        #expect(Set((refused.body["details"]["causes"].array ?? []).compactMap { $0["field"].string }) == ["spec.capacity", "spec.accessModes"])
    }

    @Test("a StorageClass needs a provisioner and known policies")
    func classValidation() async throws {
        let api = try await TestAPI()
        let refused = try await api.call("POST", classes, ["metadata": ["name": "bad"], "reclaimPolicy": "Recycle", "volumeBindingMode": "Later"])
        #expect(refused.status == 422)
        #expect(
            Set((refused.body["details"]["causes"].array ?? []).compactMap { $0["field"].string }) == ["provisioner", "reclaimPolicy", "volumeBindingMode"])
    }
}
