import SkiffAPI
import Testing

@testable import SkiffControllers

@Suite("Horizontal pod autoscaler: replica calculation and scaling behavior")
struct HorizontalPodAutoscalerTests {
    static func pod(_ name: String, cpu usage: Int64?, request: Int64? = 100, ready: Bool = true) -> PodUsage {
        PodUsage(name: name, usage: usage.map { Quantity(milliValue: $0) }, request: request.map { Quantity(milliValue: $0) }, isReady: ready)
    }

    @Test("utilization: replicas follow usage over target, rounded up; within 10 % nothing changes")
    func utilization() throws {
        // Two pods at 90 % of a 100m request against a 50 % target: ratio 1.8 → ceil(3.6) = 4.
        let busy = try ReplicaCalculator.proposal(
            for: .utilization(50), resource: "cpu", pods: [Self.pod("a", cpu: 90), Self.pod("b", cpu: 90)], current: 2)
        #expect(busy == ReplicaProposal(replicas: 4, currentUtilization: 90, currentAverage: Quantity(milliValue: 90)))
        // 53 % against 50 %: within tolerance.
        let close = try ReplicaCalculator.proposal(
            for: .utilization(50), resource: "cpu", pods: [Self.pod("a", cpu: 53), Self.pod("b", cpu: 53)], current: 2)
        #expect(close.replicas == 2)
        // Idle: 4 pods at 5 % → ceil(0.1 × 4) = 1.
        let idle = try ReplicaCalculator.proposal(for: .utilization(50), resource: "cpu", pods: (0..<4).map { Self.pod("p\($0)", cpu: 5) }, current: 4)
        #expect(idle.replicas == 1)
    }

    @Test("pods without metrics or not ready never push a scale in their own direction")
    func conservativeFillIn() throws {
        // The ready pods alone say up (90 % against 50 %), but with the silent and the unready pod
        // counted as using nothing it is (90+90+0+0)/400 = 45 %: ratio 0.9, within tolerance: stay.
        let up = try ReplicaCalculator.proposal(
            for: .utilization(50), resource: "cpu",
            pods: [Self.pod("a", cpu: 90), Self.pod("b", cpu: 90), Self.pod("c", cpu: nil), Self.pod("d", cpu: 95, ready: false)], current: 4)
        #expect(up.replicas == 4)
        // Scaling down: the silent pod counts as using all it requested: (10+10+100)/300 = 40 % → ratio 0.8 → ceil(2.4) = 3.
        let down = try ReplicaCalculator.proposal(
            for: .utilization(50), resource: "cpu", pods: [Self.pod("a", cpu: 10), Self.pod("b", cpu: 10), Self.pod("c", cpu: nil)], current: 3)
        #expect(down.replicas == 3)
        // Without the silent pod it would have gone to ceil(0.2 × 2) = 1.
        let alone = try ReplicaCalculator.proposal(
            for: .utilization(50), resource: "cpu", pods: [Self.pod("a", cpu: 10), Self.pod("b", cpu: 10)], current: 3)
        #expect(alone.replicas == 1)
    }

    @Test("a pod without a request of the resource, or no metrics at all, is an error the status reports")
    func problems() {
        #expect(throws: ReplicaCalculator.Problem.missingRequest(pod: "b", resource: "cpu")) {
            try ReplicaCalculator.proposal(
                for: .utilization(50), resource: "cpu", pods: [Self.pod("a", cpu: 10), Self.pod("b", cpu: 10, request: nil)], current: 2)
        }
        #expect(throws: ReplicaCalculator.Problem.noMetrics) {
            try ReplicaCalculator.proposal(for: .utilization(50), resource: "cpu", pods: [Self.pod("a", cpu: nil)], current: 1)
        }
    }

    @Test("average value targets: total usage over the per-pod target")
    func averageValue() throws {
        let proposal = try ReplicaCalculator.proposal(
            for: .averageValue(Quantity(milliValue: 100)), resource: "cpu", pods: [Self.pod("a", cpu: 300), Self.pod("b", cpu: 300)], current: 2)
        #expect(proposal.replicas == 6)
        #expect(proposal.currentUtilization == nil)
    }

    static func behavior(
        min: Int = 1, max: Int = 10, up: ScalingRules = .defaultScaleUp, down: ScalingRules = .defaultScaleDown
    ) throws -> ScalingBehavior {
        var spec: JSON = [
            "scaleTargetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "web"], "minReplicas": .int(Int64(min)),
            "maxReplicas": .int(Int64(max)),
        ]
        func rules(_ rules: ScalingRules) -> JSON {
            [
                "stabilizationWindowSeconds": .int(Int64(rules.stabilizationWindowSeconds)), "selectPolicy": .string(rules.select.rawValue),
                "policies": .array(
                    rules.policies.map { ["type": .string($0.kind.rawValue), "value": .int(Int64($0.value)), "periodSeconds": .int(Int64($0.periodSeconds))] }),
            ]
        }
        spec["behavior"] = ["scaleUp": rules(up), "scaleDown": rules(down)]
        return ScalingBehavior(try HorizontalPodAutoscaler(json: ["metadata": ["name": "web", "namespace": "default"], "spec": spec]))
    }

    @Test("scale-up is limited by the default policies: double or +4 per 15 s, and maxReplicas")
    func scaleUpRate() throws {
        let behavior = try Self.behavior(max: 20)
        var history = ScalingHistory()
        let first = behavior.desiredReplicas(proposal: 15, current: 1, now: 0, history: &history)
        #expect(first.replicas == 5 && first.limit == .scaleUpLimit)
        behavior.recordScale(from: 1, to: 5, now: 0, history: &history)
        // Within the same 15 s the step already taken counts: still 5.
        #expect(behavior.desiredReplicas(proposal: 15, current: 5, now: 5, history: &history).replicas == 5)
        // After the period: 5 → 10.
        #expect(behavior.desiredReplicas(proposal: 15, current: 5, now: 16, history: &history).replicas == 10)
        var fresh = ScalingHistory()
        let capped = try Self.behavior(max: 6).desiredReplicas(proposal: 9, current: 5, now: 0, history: &fresh)
        #expect(capped.replicas == 6 && capped.limit == .tooManyReplicas)
    }

    @Test("scale-down waits out its stabilization window: the highest recommendation of the window wins")
    func scaleDownStabilization() throws {
        let behavior = try Self.behavior(
            down: ScalingRules(stabilizationWindowSeconds: 60, select: .max, policies: [.init(kind: .percent, value: 100, periodSeconds: 15)]))
        var history = ScalingHistory()
        #expect(behavior.desiredReplicas(proposal: 4, current: 4, now: 0, history: &history).replicas == 4)
        #expect(behavior.desiredReplicas(proposal: 1, current: 4, now: 30, history: &history).replicas == 4)
        #expect(behavior.desiredReplicas(proposal: 1, current: 4, now: 61, history: &history).replicas == 1)
        // Never below minReplicas.
        var fresh = ScalingHistory()
        let floor = try Self.behavior(
            min: 2, down: ScalingRules(stabilizationWindowSeconds: 0, select: .max, policies: [.init(kind: .pods, value: 10, periodSeconds: 15)])
        )
        .desiredReplicas(proposal: 1, current: 4, now: 0, history: &fresh)
        #expect(floor.replicas == 2 && floor.limit == .tooFewReplicas)
    }

    @Test("selectPolicy Disabled holds that direction; Min picks the strictest policy")
    func selectPolicy() throws {
        var history = ScalingHistory()
        let disabled = try Self.behavior(up: ScalingRules(stabilizationWindowSeconds: 0, select: .disabled, policies: ScalingRules.defaultScaleUp.policies))
        #expect(disabled.desiredReplicas(proposal: 8, current: 2, now: 0, history: &history).replicas == 2)
        let strict = try Self.behavior(max: 50, up: ScalingRules(stabilizationWindowSeconds: 0, select: .min, policies: ScalingRules.defaultScaleUp.policies))
        var fresh = ScalingHistory()
        // Min of (double: 20, +4: 14) from 10.
        #expect(strict.desiredReplicas(proposal: 30, current: 10, now: 0, history: &fresh).replicas == 14)
    }

    @Test("an autoscaler without metrics targets 80 % CPU; behavior fields left out take Kubernetes' defaults")
    func defaults() throws {
        let autoscaler = try HorizontalPodAutoscaler(json: [
            "metadata": ["name": "web", "namespace": "default"],
            "spec": ["scaleTargetRef": ["kind": "Deployment", "name": "web"], "maxReplicas": 5, "behavior": ["scaleDown": ["stabilizationWindowSeconds": 0]]],
        ])
        #expect(autoscaler.minReplicas == 1)
        #expect(autoscaler.metrics == [MetricSpec(type: "Resource", resourceName: "cpu", target: .utilization(80))])
        #expect(autoscaler.scaleUp == .defaultScaleUp)
        #expect(autoscaler.scaleDown.stabilizationWindowSeconds == 0 && autoscaler.scaleDown.policies == ScalingRules.defaultScaleDown.policies)
        #expect(autoscaler.scaleTarget.apiVersion == "apps/v1")
    }
}
