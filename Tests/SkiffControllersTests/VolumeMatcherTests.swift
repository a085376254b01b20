import SkiffAPI
import Testing

@testable import SkiffControllers

@Suite("Persistent volume matching")
struct VolumeMatcherTests {
    static func claim(
        storage: String = "1Gi", modes: [String] = ["ReadWriteOnce"], storageClass: String? = "fast", selector: JSON = .null
    ) throws
        -> PersistentVolumeClaim
    {
        var spec: JSON = ["accessModes": .array(modes.map(JSON.string)), "resources": ["requests": ["storage": .string(storage)]]]
        if let storageClass { spec["storageClassName"] = .string(storageClass) }
        if !selector.isNull { spec["selector"] = selector }
        return try PersistentVolumeClaim(json: ["metadata": ["name": "data", "namespace": "default", "uid": "claim-uid"], "spec": spec])
    }

    static func volume(
        _ name: String, storage: String, modes: [String] = ["ReadWriteOnce"], storageClass: String = "fast", phase: String = "Available",
        labels: [String: String] = [:], claimRef: JSON = .null, node: String? = nil
    ) throws -> PersistentVolume {
        var spec: JSON = [
            "capacity": ["storage": .string(storage)], "accessModes": .array(modes.map(JSON.string)), "storageClassName": .string(storageClass),
            "hostPath": ["path": .string("/srv/\(name)")],
        ]
        if !claimRef.isNull { spec["claimRef"] = claimRef }
        if let node {
            spec["nodeAffinity"] = [
                "required": ["nodeSelectorTerms": [["matchExpressions": [["key": "kubernetes.io/hostname", "operator": "In", "values": [.string(node)]]]]]]
            ]
        }
        return try PersistentVolume(json: [
            "metadata": ["name": .string(name), "labels": JSON(stringMap: labels)], "spec": spec, "status": ["phase": .string(phase)],
        ])
    }

    @Test("the smallest available volume of the class with room and every access mode wins")
    func smallestFit() throws {
        let volumes = [
            try Self.volume("big", storage: "10Gi"), try Self.volume("small", storage: "1Gi"), try Self.volume("tiny", storage: "500Mi"),
            try Self.volume("other-class", storage: "1Gi", storageClass: "slow"), try Self.volume("read-only", storage: "1Gi", modes: ["ReadOnlyMany"]),
            try Self.volume("taken", storage: "1Gi", phase: "Bound", claimRef: ["namespace": "default", "name": "other", "uid": "x"]),
        ]
        #expect(VolumeMatcher.bestMatch(for: try Self.claim(), among: volumes, nodeLabels: nil)?.name == "small")
        #expect(VolumeMatcher.bestMatch(for: try Self.claim(storage: "20Gi"), among: volumes, nodeLabels: nil) == nil)
    }

    @Test("a volume pre-bound to the claim, the claim's selector, and the chosen node's reach are honoured")
    func constraints() throws {
        let prebound = try Self.volume("mine", storage: "1Gi", claimRef: ["namespace": "default", "name": "data"])
        let elsewhere = try Self.volume("else", storage: "1Gi", claimRef: ["namespace": "default", "name": "another"])
        #expect(VolumeMatcher.bestMatch(for: try Self.claim(), among: [elsewhere, prebound], nodeLabels: nil)?.name == "mine")

        let labelled = try Self.volume("labelled", storage: "2Gi", labels: ["tier": "gold"])
        let plain = try Self.volume("plain", storage: "1Gi")
        let wantsGold = try Self.claim(selector: ["matchLabels": ["tier": "gold"]])
        #expect(VolumeMatcher.bestMatch(for: wantsGold, among: [plain, labelled], nodeLabels: nil)?.name == "labelled")

        let onNode2 = try Self.volume("node2", storage: "1Gi", node: "node2")
        #expect(VolumeMatcher.bestMatch(for: try Self.claim(), among: [onNode2], nodeLabels: ["kubernetes.io/hostname": "node1"]) == nil)
        #expect(VolumeMatcher.bestMatch(for: try Self.claim(), among: [onNode2], nodeLabels: ["kubernetes.io/hostname": "node2"])?.name == "node2")
    }
}
