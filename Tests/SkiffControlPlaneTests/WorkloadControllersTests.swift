import Foundation
import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffControlPlane
import SkiffControllers
import Synchronization
import Testing

/// The ReplicaSet and Deployment controllers on the real in-process API (its defaulting,
/// validation, generations, status and scale subresources and patches), with the test playing
/// hollow agents that report every pod running and ready.
@Suite("Workload controllers against the in-process API")
struct WorkloadControllersTests {
    static let deployment: JSON = [
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": ["name": "web", "annotations": ["kubernetes.io/change-cause": "first"]],
        "spec": [
            "replicas": 3, "selector": ["matchLabels": ["app": "web"]],
            "strategy": ["rollingUpdate": ["maxSurge": 1, "maxUnavailable": 0]],
            "template": [
                "metadata": ["labels": ["app": "web"]], "spec": ["containers": [["name": "c", "image": "busybox:1", "command": ["sleep", "3600"]]]],
            ],
        ],
    ]

    /// The controllers on `harness`'s API, and hollow agents reporting pods ready (`readyAfter`
    /// they were first seen), until cancelled.
    static func run(on harness: ControllerHarness, readyAfter: Duration = .zero) -> Task<Void, Never> {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let context = ControllerContext(client: InProcessControllerClient(api: harness.api), logger: logger)
        // Controllers first: they ask for the informers that then run.
        let controllers: [any Service] = [ReplicaSetController(context: context), DeploymentController(context: context)]
        let services = [context.recorder] + context.informers.runnables + controllers
        return Task {
            await withTaskGroup(of: Void.self) { group in
                for service in services { group.addTask { try? await service.run() } }
                group.addTask {
                    var firstSeen: [String: ContinuousClock.Instant] = [:]
                    while !Task.isCancelled {
                        try? await Self.reportPodsReady(harness, readyAfter: readyAfter, firstSeen: &firstSeen)
                        try? await Task.sleep(for: .milliseconds(20))
                    }
                }
            }
        }
    }

    /// Reports every pod not yet Running as Running and Ready, as its agent would.
    static func reportPodsReady(_ harness: ControllerHarness) async throws {
        var firstSeen: [String: ContinuousClock.Instant] = [:]
        try await reportPodsReady(harness, readyAfter: .zero, firstSeen: &firstSeen)
    }

    /// Reports the pods first seen (`firstSeen`) at least `readyAfter` ago as Running and Ready.
    static func reportPodsReady(
        _ harness: ControllerHarness, readyAfter: Duration, firstSeen: inout [String: ContinuousClock.Instant]
    ) async throws {
        for pod in try await harness.call("GET", "/api/v1/namespaces/default/pods").body["items"].array ?? [] {
            guard pod["status"]["phase"] != "Running", let name = pod["metadata"]["name"].string else { continue }
            let seen = firstSeen[name] ?? .now
            firstSeen[name] = seen
            guard ContinuousClock.now - seen >= readyAfter else { continue }
            let status: JSON = [
                "status": [
                    "phase": "Running", "conditions": [["type": "Ready", "status": "True", "lastTransitionTime": .string(Timestamp.now())]],
                ]
            ]
            try await harness.call("PATCH", "/api/v1/namespaces/default/pods/\(name)/status", status, contentType: "application/merge-patch+json")
        }
    }

    func deployment(_ harness: ControllerHarness) async throws -> JSON {
        try await harness.call("GET", "/apis/apps/v1/namespaces/default/deployments/web").body
    }

    func replicaSets(_ harness: ControllerHarness) async throws -> [JSON] {
        try await harness.call("GET", "/apis/apps/v1/namespaces/default/replicasets").body["items"].array ?? []
    }

    func pods(_ harness: ControllerHarness) async throws -> [JSON] {
        try await harness.call("GET", "/api/v1/namespaces/default/pods").body["items"].array ?? []
    }

    /// The rollout is complete as `kubectl rollout status` judges it, with `image` on every pod.
    func rolledOut(_ harness: ControllerHarness, replicas: Int64, image: String) async throws -> Bool {
        try await harness.eventually(timeout: .seconds(20)) {
            let deployment = try await deployment(harness)
            let status = deployment["status"]
            let pods = try await pods(harness).filter { $0["metadata"]["deletionTimestamp"].isNull }
            return status["observedGeneration"] == deployment["metadata"]["generation"] && status["updatedReplicas"].int == replicas
                && status["replicas"].int == replicas && status["availableReplicas"].int == replicas && pods.count == Int(replicas)
                && pods.allSatisfy { $0["spec"]["containers"][0]["image"].string == image }
        }
    }

    @Test("a Deployment rolls out, updates, scales through /scale and rolls back as kubectl does it, with revisions and events")
    func rollout() async throws {
        let harness = try await ControllerHarness.start()
        let running = Self.run(on: harness)
        defer { running.cancel() }
        #expect(try await harness.call("POST", "/apis/apps/v1/namespaces/default/deployments", Self.deployment).status == 201)
        #expect(try await rolledOut(harness, replicas: 3, image: "busybox:1"))
        let first = try #require(try await replicaSets(harness).first)
        let hash = try #require(first["metadata"]["labels"]["pod-template-hash"].string)
        #expect(first["metadata"]["name"].string == "web-\(hash)")
        #expect(first["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1")
        #expect(first["metadata"]["annotations"]["kubernetes.io/change-cause"] == "first")
        #expect(first["metadata"]["managedFields"][0]["manager"] == "deployment-controller")
        #expect(first["status"]["readyReplicas"] == 3 && first["status"]["fullyLabeledReplicas"] == 3)
        #expect(try await pods(harness).allSatisfy { $0["metadata"]["labels"]["pod-template-hash"].string == hash })
        let available = try await deployment(harness)["status"]["conditions"].array?.first { $0["type"] == "Available" }
        #expect(available?["status"] == "True" && available?["reason"] == "MinimumReplicasAvailable")

        // kubectl set image: a strategic merge patch of the container.
        let setImage: JSON = ["spec": ["template": ["spec": ["containers": [["name": "c", "image": "busybox:2"]]]]]]
        let patched = try await harness.call(
            "PATCH", "/apis/apps/v1/namespaces/default/deployments/web", setImage, contentType: "application/strategic-merge-patch+json")
        #expect(patched.status == 200)
        #expect(try await rolledOut(harness, replicas: 3, image: "busybox:2"))
        var sets = try await replicaSets(harness)
        #expect(sets.count == 2)
        #expect(Set(sets.compactMap { $0["metadata"]["annotations"]["deployment.kubernetes.io/revision"].string }) == ["1", "2"])
        #expect(try await deployment(harness)["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2")

        // kubectl scale: the scale subresource.
        let scaled = try await harness.call(
            "PATCH", "/apis/apps/v1/namespaces/default/deployments/web/scale", ["spec": ["replicas": 5]], contentType: "application/merge-patch+json")
        #expect(scaled.status == 200)
        #expect(try await rolledOut(harness, replicas: 5, image: "busybox:2"))

        // kubectl rollout undo: the revision-1 set's template (without its hash label) and
        // annotations patched into the Deployment.
        let revisionOne = try #require(sets.first { $0["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1" })
        var template = revisionOne["spec"]["template"]
        template["metadata"]["labels"]["pod-template-hash"] = .null
        let undo: JSON = [["op": "replace", "path": "/spec/template", "value": template]]
        #expect(
            try await harness.call("PATCH", "/apis/apps/v1/namespaces/default/deployments/web", undo, contentType: "application/json-patch+json")
                .status == 200)
        #expect(try await rolledOut(harness, replicas: 5, image: "busybox:1"))
        sets = try await replicaSets(harness)
        #expect(sets.count == 2)
        let restored = try #require(sets.first { $0["metadata"]["uid"] == revisionOne["metadata"]["uid"] })
        #expect(restored["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3")
        #expect(restored["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"] == "1")
        #expect(restored["spec"]["replicas"] == 5)

        let events = try await harness.call("GET", "/api/v1/namespaces/default/events").body["items"].array ?? []
        let messages = events.filter { $0["reason"] == "ScalingReplicaSet" }.compactMap { $0["message"].string }
        #expect(messages.contains("Scaled up replica set web-\(hash) to 3 from 0"), "\(messages)")
        #expect(events.contains { $0["reason"] == "SuccessfulCreate" && $0["involvedObject"]["kind"] == "ReplicaSet" })
    }

    @Test("controllers restarted in the middle of a rollout finish it from what the API holds, within maxSurge and maxUnavailable at every pod event")
    func restartMidRollout() async throws {
        let harness = try await ControllerHarness.start()
        var running = Self.run(on: harness, readyAfter: .milliseconds(300))
        var deployment = Self.deployment
        deployment["spec"]["replicas"] = 6
        deployment["spec"]["strategy"] = ["rollingUpdate": ["maxSurge": 1, "maxUnavailable": 1]]
        #expect(try await harness.call("POST", "/apis/apps/v1/namespaces/default/deployments", deployment).status == 201)
        #expect(try await rolledOut(harness, replicas: 6, image: "busybox:1"))

        // Every pod event from here on, checked against the bounds as it comes.
        let list = try await harness.call("GET", "/api/v1/namespaces/default/pods")
        let version = try #require(list.body["metadata"]["resourceVersion"].string)
        let seed = (list.body["items"].array ?? []).compactMap { try? Pod(json: $0) }
        let client = InProcessControllerClient(api: harness.api)
        let state = Mutex((pods: Dictionary(uniqueKeysWithValues: seed.map { ($0.name, $0) }), violations: [String](), events: 0))
        let watch = Task {
            try? await client.watch("/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=30&resourceVersion=\(version)") { event in
                guard let pod = try? Pod(json: event.object) else { return }
                state.withLock { state in
                    if event.type == "DELETED" { state.pods[pod.name] = nil } else { state.pods[pod.name] = pod }
                    let active = state.pods.values.filter(\.isActive)
                    let ready = active.filter(\.isReady)
                    state.events += 1
                    if active.count > 7 || ready.count < 5 { state.violations.append("\(active.count) active, \(ready.count) ready") }
                }
            }
        }
        defer { watch.cancel() }

        let setImage: JSON = ["spec": ["template": ["spec": ["containers": [["name": "c", "image": "busybox:2"]]]]]]
        #expect(
            try await harness.call(
                "PATCH", "/apis/apps/v1/namespaces/default/deployments/web", setImage, contentType: "application/strategic-merge-patch+json"
            ).status == 200)
        #expect(
            try await harness.eventually {
                try await pods(harness).count { $0["spec"]["containers"][0]["image"] == "busybox:2" && $0["status"]["phase"] == "Running" } >= 2
            })
        // Its workers stop at once; a watch may linger in the API until it times out, unread.
        running.cancel()
        try await Task.sleep(for: .milliseconds(200))
        let midway = try await pods(harness).count { $0["spec"]["containers"][0]["image"] == "busybox:2" }
        #expect(midway < 6, "the rollout was stopped before it finished")
        // A new controller manager: fresh informers and expectations, only the API's state.
        running = Self.run(on: harness, readyAfter: .milliseconds(300))
        #expect(try await rolledOut(harness, replicas: 6, image: "busybox:2"))
        running.cancel()
        try await Task.sleep(for: .milliseconds(200))
        #expect(state.withLock { $0.violations } == [])
        #expect(state.withLock { $0.events } >= 12, "the watch saw the rollout's pods come and go")
        #expect(try await replicaSets(harness).map { $0["spec"]["replicas"].int ?? -1 }.sorted() == [0, 6])
    }

    @Test("a ReplicaSet replaces a deleted pod and adopts a matching orphan instead of creating")
    func replicaSetHeals() async throws {
        let harness = try await ControllerHarness.start()
        let running = Self.run(on: harness)
        defer { running.cancel() }
        let orphan: JSON = ["metadata": ["name": "orphan", "labels": ["app": "db"]], "spec": ["containers": [["name": "c", "image": "busybox:1"]]]]
        #expect(try await harness.call("POST", "/api/v1/namespaces/default/pods", orphan).status == 201)
        let replicaSet: JSON = [
            "metadata": ["name": "db"],
            "spec": [
                "replicas": 2, "selector": ["matchLabels": ["app": "db"]],
                "template": ["metadata": ["labels": ["app": "db"]], "spec": ["containers": [["name": "c", "image": "busybox:1"]]]],
            ],
        ]
        let created = try await harness.call("POST", "/apis/apps/v1/namespaces/default/replicasets", replicaSet)
        #expect(created.status == 201)
        let uid = created.body["metadata"]["uid"]
        #expect(
            try await harness.eventually {
                try await harness.call("GET", "/apis/apps/v1/namespaces/default/replicasets/db").body["status"]["availableReplicas"] == 2
            })
        var pods = try await pods(harness)
        #expect(pods.count == 2)
        #expect(pods.allSatisfy { $0["metadata"]["ownerReferences"][0]["uid"] == uid })
        #expect(pods.contains { $0["metadata"]["name"] == "orphan" })

        #expect(try await harness.call("DELETE", "/api/v1/namespaces/default/pods/orphan").status == 200)
        #expect(
            try await harness.eventually {
                let current = try await self.pods(harness)
                return current.count == 2 && !current.contains { $0["metadata"]["name"] == "orphan" }
            })
        pods = try await self.pods(harness)
        #expect(pods.allSatisfy { $0["metadata"]["name"].string?.hasPrefix("db-") == true })
    }
}
