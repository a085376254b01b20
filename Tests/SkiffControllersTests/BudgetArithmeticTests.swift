import SkiffAPI
import SkiffControllers
import Testing

@Suite struct BudgetArithmeticTests {
    static func budget(minAvailable: JSON = .null, maxUnavailable: JSON = .null, status: JSON = .null) throws -> PodDisruptionBudget {
        var json: JSON = [
            "metadata": ["name": "web", "namespace": "default", "uid": "u", "generation": 2],
            "spec": ["selector": ["matchLabels": ["app": "web"]]],
        ]
        if !minAvailable.isNull { json["spec"]["minAvailable"] = minAvailable }
        if !maxUnavailable.isNull { json["spec"]["maxUnavailable"] = maxUnavailable }
        if !status.isNull { json["status"] = status }
        return try PodDisruptionBudget(json: json)
    }

    @Test("minAvailable as a count needs no controllers; percentages and maxUnavailable count the controllers' replicas, rounding up")
    func targets() throws {
        #expect(BudgetArithmetic.targets(try Self.budget(minAvailable: 2), selectedPods: 3, expectedFromControllers: nil)! == (2, 3))
        #expect(BudgetArithmetic.targets(try Self.budget(minAvailable: "50%"), selectedPods: 3, expectedFromControllers: 5)! == (3, 5))
        #expect(BudgetArithmetic.targets(try Self.budget(maxUnavailable: 1), selectedPods: 3, expectedFromControllers: 4)! == (3, 4))
        #expect(BudgetArithmetic.targets(try Self.budget(maxUnavailable: "30%"), selectedPods: 3, expectedFromControllers: 5)! == (3, 5))
        #expect(BudgetArithmetic.targets(try Self.budget(maxUnavailable: 1), selectedPods: 3, expectedFromControllers: nil) == nil)
    }

    @Test("disruptions allowed are the healthy pods beyond the desired; terminating, unready and recently evicted pods are not healthy")
    func status() throws {
        let now = 1_000_000.0
        let budget = try Self.budget(
            minAvailable: 1,
            status: ["disruptedPods": ["web-3": "recent", "web-4": "old", "gone": "recent"]])
        let pods: [(name: String, ready: Bool, deleting: Bool)] = [
            ("web-1", true, false), ("web-2", true, false), ("web-3", true, false), ("web-4", true, false), ("web-5", false, false),
            ("web-6", true, true),
        ]
        let status = BudgetArithmetic.status(
            budget, pods: pods, targets: (1, 6), now: now, nowText: "t",
            parseTime: { $0 == "recent" ? now - 10 : now - 1000 })
        #expect(status["currentHealthy"] == 3)
        #expect(status["desiredHealthy"] == 1)
        #expect(status["expectedPods"] == 6)
        #expect(status["disruptionsAllowed"] == 2)
        #expect(status["observedGeneration"] == 2)
        #expect(status["disruptedPods"] == ["web-3": "recent"])
        #expect(status["conditions"][0]["status"] == "True" && status["conditions"][0]["reason"] == "SufficientPods")
        let blocked = BudgetArithmetic.status(budget, pods: pods, targets: nil, now: now, nowText: "t", parseTime: { _ in now })
        #expect(blocked["disruptionsAllowed"] == 0)
        #expect(blocked["conditions"][0]["reason"] == "SyncFailed")
    }

    @Test("a budget with an empty selector selects nothing")
    func emptySelector() throws {
        let budget = try PodDisruptionBudget(json: ["metadata": ["name": "all", "namespace": "default"], "spec": ["selector": .emptyObject]])
        #expect(budget.selector == nil)
    }
}
