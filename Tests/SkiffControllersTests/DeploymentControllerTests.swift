import Foundation
import SkiffAPI
import SkiffClient
import Synchronization
import Testing

@testable import SkiffControllers

/// The Deployment and ReplicaSet controllers together on a fake API, with a stand-in agent that
/// reports every pod running and ready shortly after it is made.
@Suite("DeploymentController on a fake API")
struct DeploymentControllerTests {
    typealias F = WorkloadFixtures

    static func deployment(replicas: Int = 3, image: String = "busybox:1", strategy: JSON? = nil, extra: JSON = .emptyObject) -> JSON {
        var template = F.template
        template["spec"]["containers"][0]["image"] = .string(image)
        var spec: JSON = [
            "replicas": .int(Int64(replicas)), "selector": ["matchLabels": ["app": "web"]], "template": template, "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
        ]
        spec["strategy"] = strategy ?? ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": "25%", "maxUnavailable": "25%"]]
        for (key, value) in extra.object ?? [:] { spec[key] = value }
        return ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web", "namespace": "default", "uid": "d-uid"], "spec": spec]
    }

    /// A cluster with both controllers and (when `agent`) pods turning ready by themselves.
    struct Running {
        let cluster = FakeCluster()
        let task: Task<Void, Never>
        let agent: Task<Void, Never>?

        init(agent: Bool = true) {
            let context = F.context(cluster)
            task = F.run(context, [ReplicaSetController(context: context), DeploymentController(context: context)])
            let cluster = cluster
            self.agent =
                agent
                ? Task {
                    while !Task.isCancelled {
                        cluster.markPodsReady()
                        try? await Task.sleep(for: .milliseconds(20))
                    }
                } : nil
        }

        func stop() {
            task.cancel()
            agent?.cancel()
        }

        var deployment: Deployment? { cluster.objects(.deployments).first.flatMap { try? Deployment(json: $0) } }
        var replicaSets: [ReplicaSet] { cluster.objects(.replicaSets).compactMap { try? ReplicaSet(json: $0) } }

        /// Changes the stored Deployment's spec as a user would (status kept).
        func edit(_ change: (inout JSON) -> Void) throws {
            var json = try #require(cluster.objects(.deployments).first)
            change(&json["spec"])
            cluster.put(.deployments, json)
        }

        /// Waits until the rollout is complete: every replica updated and available, no old pod.
        func rolledOut(_ replicas: Int32, image: String) async throws -> Bool {
            try await F.until {
                guard let status = deployment?.status else { return false }
                let pods = cluster.pods.filter(\.isActive)
                return status.updatedReplicas == replicas && status.availableReplicas == replicas && status.replicas == replicas
                    && status.conditions.condition("Progressing")?.reason == "NewReplicaSetAvailable" && pods.count == Int(replicas)
                    && pods.allSatisfy { $0.spec.containers.first?.image == image }
            }
        }
    }

    /// Follows the pod watch and checks `invariant` after every event; returns what broke it.
    static func watchPods(_ cluster: FakeCluster, _ invariant: @escaping @Sendable ([String: Pod]) -> String?) -> Task<[String], Never> {
        let seed = Dictionary(uniqueKeysWithValues: cluster.pods.map { ($0.name, $0) })
        return Task {
            let state = Mutex((pods: seed, violations: [String]()))
            try? await cluster.watch("/api/v1/pods") { event in
                guard let pod = try? Pod(json: event.object) else { return }
                state.withLock { state in
                    if event.type == "DELETED" { state.pods[pod.name] = nil } else { state.pods[pod.name] = pod }
                    if let broken = invariant(state.pods) { state.violations.append(broken) }
                }
            }
            return state.withLock { $0.violations }
        }
    }

    @Test("a rolling update of 6 with surge 1 and unavailable 1 stays within both bounds at every pod event, and records revisions")
    func rollingUpdate() async throws {
        let running = Running()
        defer { running.stop() }
        running.cluster.put(
            .deployments, Self.deployment(replicas: 6, strategy: ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": 1, "maxUnavailable": 1]]))
        #expect(try await running.rolledOut(6, image: "busybox:1"))
        let watch = Self.watchPods(running.cluster) { pods in
            let active = pods.values.filter(\.isActive)
            let ready = active.filter(\.isReady)
            if active.count > 7 { return "\(active.count) pods" }
            if ready.count < 5 { return "\(ready.count) ready" }
            return nil
        }
        try await Task.sleep(for: .milliseconds(50))
        try running.edit { $0["template"]["spec"]["containers"][0]["image"] = "busybox:2" }
        #expect(try await running.rolledOut(6, image: "busybox:2"))
        watch.cancel()
        #expect(await watch.value == [])

        let sets = running.replicaSets.sorted { RolloutMath.revision(of: $0) < RolloutMath.revision(of: $1) }
        #expect(sets.map { RolloutMath.revision(of: $0) } == [1, 2])
        #expect(sets.map(\.spec.replicas) == [0, 6])
        #expect(sets.allSatisfy { $0.metadata.controllerRef?.uid == "d-uid" && $0.metadata.name.hasPrefix("web-") })
        let hash = try #require(sets.last?.spec.template.labels[Deployment.templateHashLabel])
        #expect(sets.last?.metadata.name == "web-\(hash)")
        #expect(running.cluster.pods.allSatisfy { $0.labels[Deployment.templateHashLabel] == hash })
        #expect(running.deployment?.metadata.annotations[Deployment.revisionAnnotation] == "2")
        #expect(sets.last?.metadata.annotations[Deployment.desiredReplicasAnnotation] == "6")
        #expect(sets.last?.metadata.annotations[Deployment.maxReplicasAnnotation] == "7")
        #expect(running.deployment?.status.conditions.condition("Available")?.reason == "MinimumReplicasAvailable")
        let scalings = running.cluster.warningEvents.filter { $0["reason"] == "ScalingReplicaSet" }.compactMap { $0["message"].string }
        #expect(scalings.contains("Scaled up replica set \(sets[1].metadata.name) to 1 from 0"))
        #expect(scalings.contains { $0.hasPrefix("Scaled down replica set \(sets[0].metadata.name) to 0") })

        // Back to the first template: its set is the new one again, as revision 3.
        try running.edit { $0["template"]["spec"]["containers"][0]["image"] = "busybox:1" }
        #expect(try await running.rolledOut(6, image: "busybox:1"))
        let first = try #require(running.replicaSets.first { $0.metadata.uid == sets[0].metadata.uid })
        #expect(first.metadata.annotations[Deployment.revisionAnnotation] == "3")
        #expect(first.metadata.annotations[Deployment.revisionHistoryAnnotation] == "1")
        #expect(first.spec.replicas == 6)
        #expect(running.replicaSets.count == 2)
        #expect(running.deployment?.metadata.annotations[Deployment.revisionAnnotation] == "3")
    }

    @Test("Recreate removes every old pod before the first new one")
    func recreate() async throws {
        let running = Running()
        defer { running.stop() }
        running.cluster.put(.deployments, Self.deployment(replicas: 3, strategy: ["type": "Recreate"]))
        #expect(try await running.rolledOut(3, image: "busybox:1"))
        let watch = Self.watchPods(running.cluster) { pods in
            let hashes = Set(pods.values.compactMap { $0.labels[Deployment.templateHashLabel] })
            return hashes.count > 1 ? "pods of two revisions at once: \(hashes)" : nil
        }
        try await Task.sleep(for: .milliseconds(50))
        try running.edit { $0["template"]["spec"]["containers"][0]["image"] = "busybox:2" }
        #expect(try await running.rolledOut(3, image: "busybox:2"))
        watch.cancel()
        #expect(await watch.value == [])
    }

    @Test("a paused Deployment does not roll but still scales; resumed, it rolls")
    func paused() async throws {
        let running = Running()
        defer { running.stop() }
        running.cluster.put(.deployments, Self.deployment(replicas: 2))
        #expect(try await running.rolledOut(2, image: "busybox:1"))
        try running.edit {
            $0["paused"] = true
            $0["template"]["spec"]["containers"][0]["image"] = "busybox:2"
        }
        #expect(try await F.until { running.deployment?.status.conditions.condition("Progressing")?.reason == "DeploymentPaused" })
        try running.edit { $0["replicas"] = 4 }
        #expect(try await F.until { running.cluster.pods.filter(\.isReady).count == 4 })
        #expect(running.replicaSets.count == 1)
        #expect(running.cluster.pods.allSatisfy { $0.spec.containers.first?.image == "busybox:1" })
        try running.edit { $0["paused"] = false }
        #expect(try await running.rolledOut(4, image: "busybox:2"))
        #expect(running.replicaSets.count == 2)
    }

    @Test("scaling in the middle of a rollout is shared between the old and the new set")
    func proportionalScaling() async throws {
        // No agent: the new pods never become ready, so the rollout stays in the middle.
        let running = Running(agent: false)
        defer { running.stop() }
        running.cluster.put(
            .deployments, Self.deployment(replicas: 10, strategy: ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": 3, "maxUnavailable": 2]]))
        #expect(try await F.until { running.cluster.pods.count == 10 })
        running.cluster.markPodsReady()
        #expect(try await F.until { running.deployment?.status.availableReplicas == 10 })
        try running.edit { $0["template"]["spec"]["containers"][0]["image"] = "busybox:2" }
        // Old 8 (2 unavailable allowed), new 5 (3 surge): 13.
        #expect(try await F.until { running.replicaSets.map(\.spec.replicas).sorted() == [5, 8] })
        try running.edit { $0["replicas"] = 15 }
        #expect(try await F.until { running.replicaSets.map(\.spec.replicas).sorted() == [7, 11] })
        let new = try #require(running.replicaSets.first { $0.spec.replicas == 7 })
        #expect(new.spec.template.json["spec"]["containers"][0]["image"] == "busybox:2")
        #expect(running.replicaSets.allSatisfy { $0.metadata.annotations[Deployment.desiredReplicasAnnotation] == "15" })
    }

    @Test("only revisionHistoryLimit old sets are kept")
    func historyLimit() async throws {
        let running = Running()
        defer { running.stop() }
        running.cluster.put(.deployments, Self.deployment(replicas: 1, extra: ["revisionHistoryLimit": 1]))
        #expect(try await running.rolledOut(1, image: "busybox:1"))
        for version in 2...4 {
            try running.edit { $0["template"]["spec"]["containers"][0]["image"] = .string("busybox:\(version)") }
            #expect(try await running.rolledOut(1, image: "busybox:\(version)"))
        }
        #expect(try await F.until { running.replicaSets.count == 2 })
        #expect(running.replicaSets.map { RolloutMath.revision(of: $0) }.sorted() == [3, 4])
    }

    @Test("a rollout without progress for progressDeadlineSeconds is reported ProgressDeadlineExceeded")
    func progressDeadline() async throws {
        let running = Running(agent: false)
        defer { running.stop() }
        running.cluster.put(.deployments, Self.deployment(replicas: 2, extra: ["progressDeadlineSeconds": 1]))
        #expect(try await F.until { running.cluster.pods.count == 2 })
        let timedOut = try await F.until {
            let condition = running.deployment?.status.conditions.condition("Progressing")
            return condition?.status == "False" && condition?.reason == "ProgressDeadlineExceeded"
        }
        #expect(timedOut)
        #expect(running.deployment?.status.conditions.condition("Available")?.status == "False")
        #expect(running.deployment?.status.unavailableReplicas == 2)
    }

    @Test("a hash that names another template's ReplicaSet raises collisionCount and the new set gets another name")
    func hashCollision() async throws {
        let deployment = Self.deployment(replicas: 1)
        let hash = try Deployment(json: deployment).spec.template.hash()
        var squatter = F.replicaSet("web-\(hash)", replicas: 0)
        squatter["metadata"]["labels"] = ["app": "other"]
        squatter["spec"]["selector"] = ["matchLabels": ["app": "other"]]
        squatter["spec"]["template"]["metadata"]["labels"] = ["app": "other"]
        let running = Running()
        defer { running.stop() }
        running.cluster.put(.replicaSets, squatter)
        running.cluster.put(.deployments, deployment)
        #expect(try await running.rolledOut(1, image: "busybox:1"))
        #expect(running.deployment?.status.collisionCount == 1)
        let owned = running.replicaSets.filter { $0.metadata.controllerRef?.uid == "d-uid" }
        #expect(owned.map(\.metadata.name) == ["web-\(try Deployment(json: deployment).spec.template.hash(collisionCount: 1))"])
    }
}
