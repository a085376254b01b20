import Foundation
import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffClient

/// kube-controller-manager's disruption controller: keeps each PodDisruptionBudget's status —
/// the pods it expects, how many are healthy, how many must stay, and so how many evictions
/// (`pods/eviction`) it allows now. A budget counting by percentage or `maxUnavailable` reads its
/// pods' controllers' `scale` for the expected count (a ReplicaSet's Deployment when it has one).
public final class DisruptionController: Service, Sendable {
    public static let component = "disruption-controller"
    public static let resource = APIResource(group: "policy", plural: "poddisruptionbudgets")
    static let statusResource = APIResource(group: "policy", plural: "poddisruptionbudgets", subresource: "status")

    let context: ControllerContext
    let budgets: Informer<PodDisruptionBudget>
    let pods: Informer<Pod>
    let workers: SyncWorkers

    public init(context: ControllerContext) {
        self.context = context
        budgets = context.informers.informer(Self.resource) { try PodDisruptionBudget(json: $0) }
        pods = context.informers.pods
        workers = SyncWorkers(name: Self.component, workers: 2, logger: context.logger)
        budgets.addHandler { [workers] change in
            switch change {
            case .added(let budget), .deleted(let budget): workers.enqueue(budget.key)
            case .updated(_, let budget): workers.enqueue(budget.key)
            }
        }
        pods.addHandler { [budgets, workers] change in
            let affected: [Pod]
            switch change {
            case .added(let pod), .deleted(let pod): affected = [pod]
            case .updated(let old, let new): affected = [old, new]
            }
            for pod in affected {
                for budget in budgets.objects(in: pod.namespace) where budget.selector?.matches(pod.labels) == true {
                    workers.enqueue(budget.key)
                }
            }
        }
    }

    public func run() async {
        await budgets.waitForSync()
        await pods.waitForSync()
        await workers.run { key in try await self.sync(key) }
    }

    func sync(_ key: String) async throws {
        guard let budget = budgets.get(key) else { return }
        let namespace = budget.metadata.namespace
        let selected = budget.selector.map { selector in pods.objects(in: namespace).filter { selector.matches($0.labels) } } ?? []
        var expected: Int?
        if BudgetArithmetic.needsControllers(budget) { expected = try await expectedReplicas(of: selected, namespace: namespace) }
        let targets = BudgetArithmetic.targets(budget, selectedPods: selected.count, expectedFromControllers: expected)
        let now = Date()
        let status = BudgetArithmetic.status(
            budget,
            pods: selected.map { pod in
                (pod.name, (pod.json["status"]["conditions"].array ?? []).contains { $0["type"] == "Ready" && $0["status"] == "True" }, pod.isBeingDeleted)
            },
            targets: targets, now: now.timeIntervalSince1970, nowText: Timestamp.string(now),
            parseTime: { Timestamp.parse($0)?.timeIntervalSince1970 })
        if status != budget.json["status"] {
            var updated = budget.json
            updated["status"] = status
            _ = try await context.client.update(Self.statusResource, namespace: namespace, updated, fieldManager: Self.component)
        }
        // An eviction's record expires: look again then, to count the pod if it is still there.
        if !status["disruptedPods"].isNull {
            let workers = self.workers
            Task {
                try? await Task.sleep(for: .seconds(BudgetArithmetic.disruptedPodTimeout))
                workers.enqueue(key)
            }
        }
    }

    /// The replicas the selected pods' controllers want, each controller counted once; nil when
    /// a pod has no controller whose scale can be read (the budget then allows nothing).
    func expectedReplicas(of pods: [Pod], namespace: String) async throws -> Int? {
        var seen: Set<String> = []
        var total = 0
        for pod in pods {
            guard let owner = pod.ownerReferences.first(where: \.controller) else { return nil }
            guard seen.insert(owner.uid).inserted else { continue }
            var scaled = owner
            if owner.kind == "ReplicaSet",
                let replicaSet = try await context.client.get(APIResource(group: "apps", plural: "replicasets"), namespace: namespace, name: owner.name),
                let deployment = (try? ObjectMeta(json: JSONField(replicaSet["metadata"], path: "metadata")))?.controllerRef,
                deployment.kind == "Deployment"
            {
                guard seen.insert(deployment.uid).inserted else { continue }
                scaled = deployment
            }
            let plural: String
            switch scaled.kind {
            case "Deployment": plural = "deployments"
            case "ReplicaSet": plural = "replicasets"
            case "StatefulSet": plural = "statefulsets"
            default: return nil
            }
            guard let object = try await context.client.get(APIResource(group: "apps", plural: plural), namespace: namespace, name: scaled.name) else {
                return nil
            }
            total += Int(object["spec"]["replicas"].int ?? 1)
        }
        return total
    }
}
