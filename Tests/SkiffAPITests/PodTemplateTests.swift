import SkiffAPI
import Testing

@Suite("Pod templates")
struct PodTemplateTests {
    static let template: JSON = [
        "metadata": ["labels": ["app": "web"], "annotations": ["note": "x"], "name": "ignored"],
        "spec": ["containers": [["name": "web", "image": "busybox"]]],
    ]

    @Test("the template hash is stable, changes with the template and the collision count, and spells no words")
    func hash() throws {
        let template = try PodTemplate(json: Self.template)
        #expect(template.hash() == (try PodTemplate(json: Self.template)).hash())
        var changed = Self.template
        changed["spec"]["containers"][0]["image"] = "busybox:2"
        #expect(try PodTemplate(json: changed).hash() != template.hash())
        #expect(template.hash(collisionCount: 1) != template.hash())
        let alphabet = Set("bcdfghjklmnpqrstvwxz2456789")
        #expect(!template.hash().isEmpty && template.hash().allSatisfy { alphabet.contains($0) })
    }

    @Test("a pod from a template carries its labels and spec, the owner as controller, and none of the template's identity")
    func pod() throws {
        let template = try PodTemplate(json: Self.template)
        let owner = Pod.OwnerReference(apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-abc", uid: "u1")
        let pod = template.pod(owner: owner, namespace: "prod", generateName: "web-abc-", extraLabels: ["pod-template-hash": "abc"])
        #expect(pod["metadata"]["generateName"] == "web-abc-")
        #expect(pod["metadata"]["name"].isNull)
        #expect(pod["metadata"]["namespace"] == "prod")
        #expect(pod["metadata"]["labels"] == ["app": "web", "pod-template-hash": "abc"])
        #expect(pod["metadata"]["annotations"] == ["note": "x"])
        #expect(pod["spec"] == Self.template["spec"])
        let parsed = try Pod(json: pod)
        #expect(parsed.controllerRef == owner)
        #expect(parsed.ownerReferences.first?.blockOwnerDeletion == true)
    }
}
