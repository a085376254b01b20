import SkiffAPI
import Testing

@testable import SkiffControllers

@Suite("Rollout arithmetic")
struct RolloutMathTests {
    static func deployment(replicas: Int, surge: JSON = "25%", unavailable: JSON = "25%", observedReplicas: Int = 0) throws -> Deployment {
        try Deployment(json: [
            "metadata": ["name": "web", "namespace": "default", "uid": "d-uid"],
            "spec": [
                "replicas": .int(Int64(replicas)), "selector": ["matchLabels": ["app": "web"]], "template": WorkloadFixtures.template,
                "strategy": ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": surge, "maxUnavailable": unavailable]],
            ],
            "status": ["replicas": .int(Int64(observedReplicas))],
        ])
    }

    static func set(_ name: String, replicas: Int, available: Int? = nil, pods: Int? = nil, created: Int, maxReplicas: Int? = nil) throws -> ReplicaSet {
        var annotations: JSON = .emptyObject
        if let maxReplicas { annotations[Deployment.maxReplicasAnnotation] = .string(String(maxReplicas)) }
        return try ReplicaSet(json: [
            "metadata": [
                "name": .string(name), "namespace": "default", "uid": .string(name), "annotations": annotations,
                "creationTimestamp": .string("2026-12-07T00:00:\(10 + created)Z"),
            ],
            "spec": ["replicas": .int(Int64(replicas)), "selector": ["matchLabels": ["app": "web"]], "template": WorkloadFixtures.template],
            "status": ["replicas": .int(Int64(pods ?? replicas)), "availableReplicas": .int(Int64(available ?? replicas))],
        ])
    }

    @Test(
        "surge rounds up and unavailability down; both zero allow one unavailable; unavailability never exceeds the replicas",
        arguments: [
            (10, JSON("25%"), JSON("25%"), Int32(3), Int32(2)), (4, "25%", "25%", 1, 1), (6, 1, 1, 1, 1), (3, "0%", "0%", 0, 1),
            (1, "50%", "0%", 1, 0), (2, 0, 5, 0, 2), (0, "25%", "25%", 0, 0),
        ])
    func fenceposts(replicas: Int, surge: JSON, unavailable: JSON, expectedSurge: Int32, expectedUnavailable: Int32) throws {
        let spec = try Self.deployment(replicas: replicas, surge: surge, unavailable: unavailable).spec
        #expect(spec.maxSurge == expectedSurge)
        #expect(spec.maxUnavailable == expectedUnavailable)
    }

    @Test("the new set grows only as far as the surge allows, counting pods an old set has not yet deleted")
    func newSetWithinSurge() throws {
        let deployment = try Self.deployment(replicas: 6, surge: 1, unavailable: 1)
        #expect(RolloutMath.newReplicaSetReplicas(deployment, all: [try Self.set("old", replicas: 6, created: 0)], current: 0) == 1)
        // The old set was scaled to 5 but still has 6 pods: no room yet.
        let settling = try Self.set("old", replicas: 5, pods: 6, created: 0)
        let new = try Self.set("new", replicas: 1, created: 1)
        #expect(RolloutMath.newReplicaSetReplicas(deployment, all: [settling, new], current: 1) == 1)
        let settled = try Self.set("old", replicas: 5, created: 0)
        #expect(RolloutMath.newReplicaSetReplicas(deployment, all: [settled, new], current: 1) == 2)
        // Never beyond the replicas, whatever the surge.
        let wide = try Self.deployment(replicas: 4, surge: "100%", unavailable: 0)
        #expect(RolloutMath.newReplicaSetReplicas(wide, all: [try Self.set("old", replicas: 4, created: 0)], current: 0) == 4)
        #expect(RolloutMath.newReplicaSetReplicas(wide, all: [], current: 0) == 4)
    }

    @Test("old sets shrink only while replicas - maxUnavailable stay available, unhealthy pods first, oldest set first")
    func oldSetsWithinUnavailability() throws {
        let deployment = try Self.deployment(replicas: 6, surge: 1, unavailable: 1)
        // 6 old available, 1 new not yet available: one old pod may go.
        var targets = RolloutMath.oldReplicaSetTargets(
            deployment, new: try Self.set("new", replicas: 1, available: 0, created: 2), old: [try Self.set("old", replicas: 6, created: 0)])
        #expect(targets == ["old": 5])
        // 5 old + 1 new available, the new one at 2 with one unavailable: one more old pod may go.
        targets = RolloutMath.oldReplicaSetTargets(
            deployment, new: try Self.set("new", replicas: 2, available: 1, created: 2), old: [try Self.set("old", replicas: 5, created: 0)])
        #expect(targets == ["old": 4])
        // 4 old + 1 new available, the new one at 3 with two unavailable: none may.
        targets = RolloutMath.oldReplicaSetTargets(
            deployment, new: try Self.set("new", replicas: 3, available: 1, created: 2), old: [try Self.set("old", replicas: 4, created: 0)])
        #expect(targets.isEmpty)
        // Two old sets, the older with 2 unavailable pods: those go first.
        targets = RolloutMath.oldReplicaSetTargets(
            deployment, new: try Self.set("new", replicas: 2, available: 2, created: 2),
            old: [try Self.set("older", replicas: 2, available: 0, created: 0), try Self.set("old", replicas: 3, created: 1)])
        #expect(targets == ["older": 0])
        // An old set scaled below its available pods counts only its replicas: 5 + 0 available, none may go.
        targets = RolloutMath.oldReplicaSetTargets(
            deployment, new: try Self.set("new", replicas: 1, available: 0, created: 2), old: [try Self.set("old", replicas: 5, available: 6, created: 0)])
        #expect(targets.isEmpty)
        #expect(RolloutMath.available([try Self.set("old", replicas: 5, available: 6, created: 0)]) == 5)
    }

    @Test("a step-by-step rolling update of 6 (surge 1, unavailable 1) never exceeds 7 pods nor drops below 5 available")
    func simulatedRollout() throws {
        let deployment = try Self.deployment(replicas: 6, surge: 1, unavailable: 1)
        var (old, new, newAvailable): (Int32, Int32, Int32) = (6, 0, 0)
        var steps = 0
        while (old > 0 || newAvailable < 6) && steps < 50 {
            steps += 1
            let oldSet = try Self.set("old", replicas: Int(old), created: 0)
            let newSet = try Self.set("new", replicas: Int(new), available: Int(newAvailable), created: 1)
            let grown = RolloutMath.newReplicaSetReplicas(deployment, all: [oldSet, newSet], current: new)
            let targets = RolloutMath.oldReplicaSetTargets(deployment, new: newSet, old: [oldSet])
            if grown != new {
                new = grown
            } else if let target = targets["old"] {
                old = target
            } else {
                // Nothing to do until the new pods become available.
                newAvailable = new
            }
            #expect(old + new <= 7, "step \(steps): \(old) old + \(new) new pods")
            #expect(old + newAvailable >= 5, "step \(steps): \(old) old + \(newAvailable) new available")
        }
        #expect(old == 0 && new == 6)
        #expect(steps < 30)
    }

    @Test("scaling mid-rollout shares the change in proportion to each set's size, the remainder to the largest")
    func proportional() throws {
        // 10 replicas, surge 3: old 8 + new 5 = 13. Scaled to 15 (18 allowed): 5 more, 3 to old and 2 to new.
        let deployment = try Self.deployment(replicas: 15, surge: 3, unavailable: 2, observedReplicas: 13)
        let old = try Self.set("old", replicas: 8, created: 0, maxReplicas: 13)
        let new = try Self.set("new", replicas: 5, created: 1, maxReplicas: 13)
        #expect(RolloutMath.proportionalTargets(deployment, active: [old, new]) == ["old": 11, "new": 7])
        // Scaled down to 5 (8 allowed): 5 fewer.
        let smaller = try Self.deployment(replicas: 5, surge: 3, unavailable: 2, observedReplicas: 13)
        let shrunk = RolloutMath.proportionalTargets(smaller, active: [old, new])
        #expect(shrunk.values.reduce(0, +) == 8)
        #expect(shrunk["old"] == 5 && shrunk["new"] == 3)
        // To zero: every set goes to zero.
        let none = try Self.deployment(replicas: 0, surge: 3, unavailable: 2, observedReplicas: 13)
        #expect(RolloutMath.proportionalTargets(none, active: [old, new]) == ["old": 0, "new": 0])
    }

    @Test("a template kubectl copies back from a set (nulls and empty fields added) still matches that set")
    func templateMatchIgnoresEmptyFields() throws {
        let set = try ReplicaSet(json: [
            "metadata": ["name": "web-abc", "namespace": "default"],
            "spec": [
                "selector": ["matchLabels": ["app": "web"]],
                "template": [
                    "metadata": ["labels": ["app": "web", "pod-template-hash": "abc"]], "spec": WorkloadFixtures.template["spec"],
                ],
            ],
        ])
        var copied = WorkloadFixtures.template
        copied["metadata"] = .object(["labels": ["app": "web"], "creationTimestamp": .null])
        copied["spec"]["containers"][0]["resources"] = .emptyObject
        copied["spec"]["volumes"] = []
        var json = try #require(RolloutMathTests.deployment(replicas: 1).json.object)
        json["spec"]?["template"] = copied
        #expect(try Deployment(json: .object(json)).templateMatches(set))
        copied["spec"]["containers"][0]["image"] = "busybox:2"
        json["spec"]?["template"] = copied
        #expect(try !Deployment(json: .object(json)).templateMatches(set))
    }

    @Test("the one set with pods, else the newest, takes a scale; a saturated new set is recognised")
    func activeOrLatest() throws {
        let old = try Self.set("old", replicas: 0, created: 0)
        let new = try Self.set("new", replicas: 3, created: 1)
        #expect(RolloutMath.activeOrLatest(new: new, old: [old])?.metadata.name == "new")
        #expect(RolloutMath.activeOrLatest(new: nil, old: [old, try Self.set("older", replicas: 0, created: -1)])?.metadata.name == "old")
        #expect(RolloutMath.activeOrLatest(new: new, old: [try Self.set("old", replicas: 1, created: 0)]) == nil)
    }
}
