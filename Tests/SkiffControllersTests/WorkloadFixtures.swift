import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffClient

@testable import SkiffControllers

/// ReplicaSets, Deployments and their pods as the API would store them, and the workload
/// controllers running on a `FakeCluster`.
enum WorkloadFixtures {
    static let template: JSON = [
        "metadata": ["labels": ["app": "web"]],
        "spec": ["containers": [["name": "main", "image": "busybox:1"]]],
    ]

    static func replicaSet(
        _ name: String = "web", replicas: Int = 3, uid: String? = nil, minReadySeconds: Int = 0, owner: Pod.OwnerReference? = nil
    )
        -> JSON
    {
        var metadata: JSON = ["name": .string(name), "namespace": "default", "generation": 1]
        if let uid { metadata["uid"] = .string(uid) }
        if let owner { metadata["ownerReferences"] = [owner.json] }
        return [
            "apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": metadata,
            "spec": [
                "replicas": .int(Int64(replicas)), "minReadySeconds": .int(Int64(minReadySeconds)), "selector": ["matchLabels": ["app": "web"]],
                "template": template,
            ],
        ]
    }

    /// A pod as its agent reports it: bound to `node`, in `phase`, ready or not since `readySince`.
    static func pod(
        _ name: String, labels: [String: String] = ["app": "web"], owner: Pod.OwnerReference? = nil, node: String? = "node-1",
        phase: String = "Running", ready: Bool = true, readySince: String = "2026-12-07T00:00:00Z", created: String = "2026-12-07T00:00:00Z",
        restarts: Int = 0
    ) -> JSON {
        var metadata: JSON = [
            "name": .string(name), "namespace": "default", "uid": .string("uid-" + name), "labels": JSON(stringMap: labels),
            "creationTimestamp": .string(created),
        ]
        if let owner { metadata["ownerReferences"] = [owner.json] }
        var spec: JSON = ["containers": [["name": "main", "image": "busybox:1"]]]
        if let node { spec["nodeName"] = .string(node) }
        return [
            "metadata": metadata, "spec": spec,
            "status": [
                "phase": .string(phase),
                "conditions": [["type": "Ready", "status": .string(ready ? "True" : "False"), "lastTransitionTime": .string(readySince)]],
                "containerStatuses": [["name": "main", "restartCount": .int(Int64(restarts))]],
            ],
        ]
    }

    /// Runs the informers, the event recorder and `controllers` until the returned task is cancelled.
    static func run(_ context: ControllerContext, _ controllers: [any Service]) -> Task<Void, Never> {
        let services = [context.recorder as any Service] + context.informers.runnables + controllers
        return Task {
            await withTaskGroup(of: Void.self) { group in
                for service in services { group.addTask { try? await service.run() } }
            }
        }
    }

    static func context(_ cluster: FakeCluster) -> ControllerContext {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return ControllerContext(client: cluster, logger: logger)
    }

    /// Polls `condition` every 10 ms for up to 20 s: well beyond the controllers' 5 s backstop
    /// resync, so a slow machine is not mistaken for a stuck controller.
    static func until(_ condition: () throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(20)
        while try !condition() {
            guard ContinuousClock.now < deadline else { return false }
            try await Task.sleep(for: .milliseconds(10))
        }
        return true
    }
}

extension FakeCluster {
    /// The stored pods, decoded.
    var pods: [Pod] { objects(.pods).compactMap { try? Pod(json: $0) } }

    func replicaSet(_ name: String) throws -> ReplicaSet? {
        try objects(.replicaSets).first { $0["metadata"]["name"].string == name }.map { try ReplicaSet(json: $0) }
    }

    /// Reports every pod running and ready, as agents would.
    func markPodsReady() {
        for var pod in objects(.pods) where pod["status"]["phase"].string != "Running" {
            pod["status"] = ["phase": "Running", "conditions": [["type": "Ready", "status": "True", "lastTransitionTime": "2026-12-07T00:00:00Z"]]]
            put(.pods, pod)
        }
    }
}
