import Foundation
import Logging
import SkiffAPI
import SkiffClient

@testable import SkiffControllers

/// A JobController on a FakeCluster, with the test playing the agents: it moves the Job's pods
/// to Running, Succeeded or Failed as a kubelet would report them.
struct JobHarness {
    let cluster: FakeCluster
    let context: ControllerContext
    let controller: JobController

    init(cluster: FakeCluster = FakeCluster(), backoff: JobBackoff = JobBackoff(base: .milliseconds(50), maximum: .milliseconds(400))) {
        self.cluster = cluster
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        context = ControllerContext(client: cluster, logger: logger)
        controller = JobController(context: context, backoff: backoff)
    }

    /// Runs the controller, its informers and its event recorder around `body`.
    func run(_ body: () async throws -> Void) async throws {
        let services = context.informers.runnables + [context.recorder, controller]
        let running = Task {
            await withTaskGroup(of: Void.self) { group in
                for service in services { group.addTask { try? await service.run() } }
            }
        }
        defer { running.cancel() }
        try await body()
    }

    static func job(_ name: String, spec: JSON, uid: String? = nil) -> JSON {
        var full = spec
        if full["template"].isNull {
            full["template"] = [
                "metadata": ["labels": ["app": .string(name)]],
                "spec": ["restartPolicy": "Never", "containers": [["name": "main", "image": "busybox"]]],
            ]
        }
        if full["parallelism"].isNull { full["parallelism"] = 1 }
        return [
            "apiVersion": "batch/v1", "kind": "Job",
            "metadata": ["name": .string(name), "namespace": "default", "uid": .string(uid ?? "job-uid-\(name)")], "spec": full,
        ]
    }

    func job(_ name: String) throws -> Job? {
        try cluster.objects(.jobs).first { $0["metadata"]["name"].string == name }.map { try Job(json: $0) }
    }

    /// The Job's pods as stored, oldest first.
    func pods(of name: String) throws -> [Pod] {
        try cluster.objects(.pods).map { try Pod(json: $0) }.filter { $0.controllerRef?.name == name }
            .sorted { Int($0.resourceVersion ?? "0") ?? 0 < Int($1.resourceVersion ?? "0") ?? 0 }
    }

    /// Those of its pods still running (not ended, not being deleted).
    func activePods(of name: String) throws -> [Pod] {
        try pods(of: name).filter { $0.status.phase?.isFinal != true && !$0.isBeingDeleted }
    }

    /// Reports `pod` ended as its agent would: every container terminated with `exitCode`.
    func finish(_ pod: Pod, exitCode: Int = 0, conditions: [JSON] = []) {
        var json = pod.json
        let containers = json["spec"]["containers"].array ?? []
        json["status"] = [
            "phase": exitCode == 0 ? "Succeeded" : "Failed",
            "conditions": .array(conditions),
            "containerStatuses": .array(
                containers.map { container in
                    [
                        "name": container["name"], "restartCount": 0,
                        "state": ["terminated": ["exitCode": .int(Int64(exitCode)), "finishedAt": .string(Timestamp.now())]],
                    ]
                }),
        ]
        cluster.put(.pods, json)
    }

    /// Reports `pod` running and ready.
    func start(_ pod: Pod) {
        var json = pod.json
        json["spec"]["nodeName"] = "node-1"
        json["status"] = ["phase": "Running", "conditions": [["type": "Ready", "status": "True"]]]
        cluster.put(.pods, json)
    }

    /// Stops the Job's pods that are being deleted, as their agent would: a bound pod being
    /// deleted stays (Terminating) until its node deletes it with grace 0.
    func stopDeleted(of name: String) async throws {
        for pod in try pods(of: name) where pod.isBeingDeleted {
            try? await cluster.delete(.pods, namespace: pod.namespace, name: pod.name, options: DeleteOptions(gracePeriodSeconds: 0))
        }
    }

    /// Polls `condition` every 10 ms for up to `seconds`.
    func until(seconds: Double = 5, _ condition: () throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return try condition()
    }

    /// The reasons of the events recorded about the Job.
    func eventReasons() -> [String] { cluster.warningEvents.compactMap { $0["reason"].string } }
}
