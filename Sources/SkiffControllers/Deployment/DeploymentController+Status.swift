import Foundation
import SkiffAPI
import SkiffClient

extension DeploymentController {
    /// The Deployment's counts summed over its sets, and the Available condition: True while at
    /// least `replicas - maxUnavailable` pods are available.
    func calculateStatus(_ deployment: Deployment, new: ReplicaSet?, old: [ReplicaSet]) -> Deployment.Status {
        let all = old + (new.map { [$0] } ?? [])
        var status = deployment.status
        status.observedGeneration = deployment.metadata.generation ?? 0
        status.replicas = all.reduce(0) { $0 + $1.status.replicas }
        status.updatedReplicas = new?.status.replicas ?? 0
        status.readyReplicas = all.reduce(0) { $0 + $1.status.readyReplicas }
        status.availableReplicas = all.reduce(0) { $0 + $1.status.availableReplicas }
        status.unavailableReplicas = max(0, RolloutMath.replicas(all) - status.availableReplicas)
        let now = Timestamp.string(self.now())
        if status.availableReplicas >= deployment.spec.replicas - deployment.spec.maxUnavailable {
            status.conditions.set(
                WorkloadCondition(
                    type: "Available", status: "True", reason: "MinimumReplicasAvailable", message: "Deployment has minimum availability.",
                    lastUpdateTime: now, lastTransitionTime: now))
        } else {
            status.conditions.set(
                WorkloadCondition(
                    type: "Available", status: "False", reason: "MinimumReplicasUnavailable", message: "Deployment does not have minimum availability.",
                    lastUpdateTime: now, lastTransitionTime: now))
        }
        return status
    }

    /// Every replica is updated and available, and no old one is left.
    func isComplete(_ deployment: Deployment, _ status: Deployment.Status) -> Bool {
        let replicas = deployment.spec.replicas
        return status.updatedReplicas == replicas && status.replicas == replicas && status.availableReplicas == replicas
            && status.observedGeneration >= (deployment.metadata.generation ?? 0)
    }

    /// The status of a paused or scaled Deployment: its counts, its Progressing condition as it was.
    func syncStatus(_ deployment: Deployment, new: ReplicaSet?, old: [ReplicaSet]) async throws {
        let status = calculateStatus(deployment, new: new, old: old)
        if status != deployment.status { _ = try await write(status, of: deployment) }
    }

    /// The status during a rollout. Progressing says whether it moves: True with
    /// NewReplicaSetAvailable once complete, True with ReplicaSetUpdated whenever pods were
    /// updated, old ones went or more became ready or available (which restarts the deadline),
    /// and False with ProgressDeadlineExceeded once progressDeadlineSeconds passed without that.
    /// A ReplicaFailure of any set is the Deployment's. A rollout still under way is checked
    /// again when its deadline would pass.
    func syncRolloutStatus(_ deployment: Deployment, new: ReplicaSet?, old: [ReplicaSet]) async throws {
        var status = calculateStatus(deployment, new: new, old: old)
        let current = deployment.status.conditions.condition("Progressing")
        let newName = new?.metadata.name ?? deployment.metadata.name
        if let deadline = deployment.spec.progressDeadlineSeconds {
            let completed = status.replicas == status.updatedReplicas && current?.reason == "NewReplicaSetAvailable"
            if !completed {
                if isComplete(deployment, status) {
                    status.conditions.set(progressing("True", "NewReplicaSetAvailable", "ReplicaSet \"\(newName)\" has successfully progressed."))
                } else if isProgressing(deployment, status) {
                    var condition = progressing("True", "ReplicaSetUpdated", "ReplicaSet \"\(newName)\" is progressing.")
                    // Progress restarts the deadline (lastUpdateTime), not the transition.
                    if let current, current.status == "True" { condition.lastTransitionTime = current.lastTransitionTime }
                    status.conditions.remove("Progressing")
                    status.conditions.append(condition)
                } else if hasTimedOut(deployment, status, deadline: deadline) {
                    status.conditions.set(progressing("False", "ProgressDeadlineExceeded", "ReplicaSet \"\(newName)\" has timed out progressing."))
                }
            }
        } else {
            status.conditions.remove("Progressing")
        }
        let all = (new.map { [$0] } ?? []) + old
        if let failure = all.lazy.compactMap({ $0.status.conditions.condition("ReplicaFailure") }).first(where: { $0.status == "True" }) {
            status.conditions.set(failure)
        } else {
            status.conditions.remove("ReplicaFailure")
        }
        guard status != deployment.status else {
            requeueIfStuck(deployment, status)
            return
        }
        _ = try await write(status, of: deployment)
    }

    /// More pods updated, fewer old ones, more ready or available than the status said.
    private func isProgressing(_ deployment: Deployment, _ status: Deployment.Status) -> Bool {
        let before = deployment.status
        return status.updatedReplicas > before.updatedReplicas
            || status.replicas - status.updatedReplicas < before.replicas - before.updatedReplicas
            || status.readyReplicas > before.readyReplicas || status.availableReplicas > before.availableReplicas
    }

    private func hasTimedOut(_ deployment: Deployment, _ status: Deployment.Status, deadline: Int32) -> Bool {
        guard let condition = status.conditions.condition("Progressing") else { return false }
        if condition.reason == "NewReplicaSetAvailable" { return false }
        if condition.reason == "ProgressDeadlineExceeded" { return true }
        guard let since = condition.lastUpdateTime.flatMap(Timestamp.parse) else { return false }
        return since.addingTimeInterval(TimeInterval(deadline)) < now()
    }

    /// A rollout that made no progress is synced again when its deadline would pass: nothing
    /// else would wake it to report the timeout.
    private func requeueIfStuck(_ deployment: Deployment, _ status: Deployment.Status) {
        guard let deadline = deployment.spec.progressDeadlineSeconds, let current = deployment.status.conditions.condition("Progressing"),
            !isComplete(deployment, status), current.reason != "ProgressDeadlineExceeded",
            let since = current.lastUpdateTime.flatMap(Timestamp.parse)
        else { return }
        let after = since.addingTimeInterval(TimeInterval(deadline)).timeIntervalSince(now())
        workers.queue.add(deployment.key, after: .milliseconds(Int64(max(0, after) * 1000) + 1000))
    }

    /// Paused: Progressing Unknown (DeploymentPaused), so the deadline does not run; resumed:
    /// Unknown (DeploymentResumed) until the rollout moves again. A reported timeout stays.
    func checkPausedCondition(_ deployment: Deployment) async throws -> Deployment {
        guard deployment.spec.progressDeadlineSeconds != nil else { return deployment }
        let current = deployment.status.conditions.condition("Progressing")
        if current?.reason == "ProgressDeadlineExceeded" { return deployment }
        let pausedNoted = current?.reason == "DeploymentPaused"
        var status = deployment.status
        if deployment.spec.paused && !pausedNoted {
            status.conditions.set(progressing("Unknown", "DeploymentPaused", "Deployment is paused"))
        } else if !deployment.spec.paused && pausedNoted {
            status.conditions.set(progressing("Unknown", "DeploymentResumed", "Deployment is resumed"))
        } else {
            return deployment
        }
        return try await write(status, of: deployment)
    }

    /// Writes the status through the status subresource; returns the Deployment as stored.
    func write(_ status: Deployment.Status, of deployment: Deployment) async throws -> Deployment {
        let stored = try await client.update(
            .deploymentStatus, namespace: deployment.metadata.namespace, deployment.withStatus(status), fieldManager: Self.component)
        return try Deployment(json: stored)
    }
}
