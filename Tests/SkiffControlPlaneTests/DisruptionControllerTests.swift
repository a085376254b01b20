import Foundation
import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffControlPlane
import SkiffControllers
import Testing

/// The disruption controller with the ReplicaSet and Deployment controllers on the in-process
/// API, the test reporting every pod running and ready: evictions through pods/eviction are
/// allowed only while the budget has room, and room comes back when a replacement is ready.
@Suite struct DisruptionControllerTests {
    let pods = "/api/v1/namespaces/default/pods"
    let budget = "/apis/policy/v1/namespaces/default/poddisruptionbudgets/web"

    static func run(on harness: ControllerHarness) -> Task<Void, Never> {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let context = ControllerContext(client: InProcessControllerClient(api: harness.api), logger: logger)
        let controllers: [any Service] = [
            ReplicaSetController(context: context), DeploymentController(context: context), DisruptionController(context: context),
        ]
        let services = [context.recorder] + context.informers.runnables + controllers
        return Task {
            await withTaskGroup(of: Void.self) { group in
                for service in services { group.addTask { try? await service.run() } }
                group.addTask {
                    while !Task.isCancelled {
                        try? await WorkloadControllersTests.reportPodsReady(harness)
                        try? await Task.sleep(for: .milliseconds(20))
                    }
                }
            }
        }
    }

    func status(_ harness: ControllerHarness) async throws -> JSON { try await harness.call("GET", budget).body["status"] }

    func runningPods(_ harness: ControllerHarness) async throws -> [String] {
        (try await harness.call("GET", pods).body["items"].array ?? []).filter {
            $0["metadata"]["deletionTimestamp"].isNull && $0["status"]["phase"] == "Running"
        }.compactMap { $0["metadata"]["name"].string }
    }

    @Test("a budget of maxUnavailable 1 over a 3-replica Deployment allows one eviction at a time, again once the replacement is ready")
    func evictionsFollowTheBudget() async throws {
        let harness = try await ControllerHarness.start()
        let controllers = Self.run(on: harness)
        defer { controllers.cancel() }
        #expect(try await harness.call("POST", "/apis/apps/v1/namespaces/default/deployments", WorkloadControllersTests.deployment).status == 201)
        let created = try await harness.call(
            "POST", "/apis/policy/v1/namespaces/default/poddisruptionbudgets",
            ["metadata": ["name": "web"], "spec": ["maxUnavailable": 1, "selector": ["matchLabels": ["app": "web"]]]])
        #expect(created.status == 201)
        #expect(
            try await harness.eventually {
                let status = try await status(harness)
                return status["expectedPods"] == 3 && status["currentHealthy"] == 3 && status["disruptionsAllowed"] == 1
            })
        #expect(try await status(harness)["desiredHealthy"] == 2)
        let names = try await runningPods(harness)
        #expect(names.count == 3)
        let eviction: (String) -> JSON = { ["apiVersion": "policy/v1", "kind": "Eviction", "metadata": ["name": .string($0)]] }
        #expect(try await harness.call("POST", "\(pods)/\(names[0])/eviction", eviction(names[0])).status == 201)
        // The budget is spent until the ReplicaSet's replacement runs and is ready (which the
        // controllers here may already have managed: then this one goes too).
        let second = try await harness.call("POST", "\(pods)/\(names[1])/eviction", eviction(names[1]))
        #expect([201, 429].contains(second.status))
        let evicted = second.status == 201 ? [names[0], names[1]] : [names[0]]
        #expect(
            try await harness.eventually {
                let status = try await status(harness)
                return status["disruptionsAllowed"] == 1 && status["currentHealthy"] == 3
            })
        let remaining = try await runningPods(harness).filter { !evicted.contains($0) }
        #expect(try await harness.call("POST", "\(pods)/\(remaining[0])/eviction", eviction(remaining[0])).status == 201)
    }

    @Test("minAvailable equal to the ready pods allows nothing")
    func fullBudgetBlocks() async throws {
        let harness = try await ControllerHarness.start()
        let controllers = Self.run(on: harness)
        defer { controllers.cancel() }
        #expect(try await harness.call("POST", "/apis/apps/v1/namespaces/default/deployments", WorkloadControllersTests.deployment).status == 201)
        _ = try await harness.call(
            "POST", "/apis/policy/v1/namespaces/default/poddisruptionbudgets",
            ["metadata": ["name": "web"], "spec": ["minAvailable": 3, "selector": ["matchLabels": ["app": "web"]]]])
        #expect(
            try await harness.eventually {
                let status = try await status(harness)
                return status["currentHealthy"] == 3 && status["observedGeneration"] == 1
            })
        #expect(try await status(harness)["disruptionsAllowed"] == 0)
        let name = try #require(try await runningPods(harness).first)
        let blocked = try await harness.call(
            "POST", "\(pods)/\(name)/eviction", ["apiVersion": "policy/v1", "kind": "Eviction", "metadata": ["name": .string(name)]])
        #expect(blocked.status == 429)
    }
}
