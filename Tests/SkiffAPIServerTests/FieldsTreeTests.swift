import SkiffAPI
import Testing

@testable import SkiffAPIServer

/// A create's managedFields are built straight as a FieldsV1 tree; they must be exactly what the
/// path-set form (which updates and apply use) encodes for the same object.
@Suite struct FieldsTreeTests {
    static let pod: JSON = [
        "apiVersion": "v1", "kind": "Pod",
        "metadata": [
            "name": "web", "namespace": "default", "labels": ["app": "web", "tier": "front"], "annotations": [:],
            "finalizers": ["example.com/keep"], "ownerReferences": [["apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "u1"]],
            "uid": "ignored",
        ],
        "spec": [
            "containers": [
                [
                    "name": "c", "image": "busybox", "command": ["sleep", "1"], "ports": [["containerPort": 80], ["containerPort": 53, "protocol": "UDP"]],
                    "env": [["name": "A", "value": "1"], ["name": "B", "valueFrom": ["fieldRef": ["fieldPath": "status.podIP"]]]],
                    "volumeMounts": [["name": "data", "mountPath": "/data"]], "resources": [:],
                ],
                // Duplicate merge keys are invalid, but both items' fields are owned.
                ["name": "c", "image": "other", "tty": true],
            ],
            "volumes": [["name": "data", "emptyDir": [:]]],
            "tolerations": [["key": "k", "operator": "Exists"]],
            "nodeSelector": ["disk": "ssd"],
        ],
        "status": ["phase": "Pending"],
    ]

    @Test("a create's FieldsV1 tree equals the encoded path set, for keyed, set-like and atomic lists")
    func treeMatchesPathSet() {
        let tree = FieldOwnership.fieldsTree(of: Self.pod)
        #expect(tree == FieldOwnership.encode(FieldOwnership.fields(of: Self.pod)))
        #expect(tree["f:spec"]["f:containers"]["k:{\"name\":\"c\"}"]["f:tty"] == [:])
        #expect(tree["f:spec"]["f:containers"]["k:{\"name\":\"c\"}"]["f:ports"]["k:{\"containerPort\":53,\"protocol\":\"UDP\"}"]["."] == [:])
        #expect(tree["f:metadata"]["f:finalizers"]["v:\"example.com/keep\""] == [:])
        #expect(tree["f:metadata"]["f:uid"].isNull)
        #expect(tree["f:status"].isNull)
    }

    @Test("recordUpdate on a create gives one Update entry owning every field, or none for an empty object")
    func createRecordsOneEntry() {
        var pod = Self.pod
        FieldOwnership.recordUpdate(manager: "kubectl", before: nil, after: &pod)
        let entries = pod["metadata"]["managedFields"].array ?? []
        #expect(entries.count == 1)
        #expect(entries.first?["manager"] == "kubectl")
        #expect(entries.first?["operation"] == "Update")
        #expect(entries.first?["apiVersion"] == "v1")
        #expect(entries.first?["fieldsType"] == "FieldsV1")
        #expect(entries.first?["fieldsV1"] == FieldOwnership.encode(FieldOwnership.fields(of: Self.pod)))
        var bare: JSON = ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "x"]]
        FieldOwnership.recordUpdate(manager: "kubectl", before: nil, after: &bare)
        #expect(bare["metadata"]["managedFields"].isNull)
    }
}
