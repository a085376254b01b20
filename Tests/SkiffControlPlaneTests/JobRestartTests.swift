import Foundation
import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffAPIServer
import SkiffClient
import SkiffControlPlane
import SkiffControllers
import SkiffStore
import Testing

/// The job controller's counts across restarts: the control plane is stopped abruptly, again and
/// again while pods finish, and started afresh on the same SQLite file; the Job must end with
/// exactly as many successes as completions — none lost with a pod that finished while it was
/// down, none counted twice by a controller that restarted between its writes.
@Suite("Job counts across control plane restarts")
struct JobRestartTests {
    static let token = "admin-secret"

    /// An API over the store at `path` with the job controller running on it, until `stop`.
    final class ControlPlaneRun: Sendable {
        let api: KubeAPI
        let store: SQLiteStore
        let task: Task<Void, Never>

        init(path: String) async throws {
            store = try SQLiteStore(path: path)
            api = KubeAPI(store: store, authenticator: Authenticator(adminToken: JobRestartTests.token, joinToken: "join-secret"))
            try await api.bootstrap()
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            let context = ControllerContext(client: InProcessControllerClient(api: api), logger: logger)
            // A short back-off base: no pod fails here, but a restart must not wait on one.
            let controller = JobController(context: context, backoff: JobBackoff(base: .milliseconds(20)))
            let services: [any Service] = context.informers.runnables + [context.recorder, controller]
            task = Task {
                await withTaskGroup(of: Void.self) { group in
                    for service in services { group.addTask { try? await service.run() } }
                }
            }
        }

        /// Stops everything at once, whatever write is in flight (the nearest to kill -9 in process).
        func stop() async {
            task.cancel()
            store.closeWatches()
            // As after a process's death, nothing of the old control plane is left writing when
            // the new one opens the store (bounded, should a service ignore cancellation).
            let task = task
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await task.value }
                group.addTask { try? await Task.sleep(for: .seconds(5)) }
                await group.next()
                group.cancelAll()
            }
        }

        func call(
            _ method: String, _ path: String, _ body: JSON? = nil, contentType: String = "application/json", query: [String: String] = [:]
        ) async throws
            -> JSON
        {
            let response = await api.handle(
                APIRequest(
                    method: method, path: path, query: query,
                    headers: ["authorization": "Bearer \(JobRestartTests.token)", "content-type": contentType, "accept": "application/json"],
                    body: body?.bytes ?? []))
            guard (200..<300).contains(response.status) else {
                throw APIError(code: response.status, reason: "Failed", message: String(decoding: response.bodyBytes, as: UTF8.self))
            }
            return try JSON(parsing: response.bodyBytes)
        }

        var job: JSON { get async throws { try await call("GET", "/apis/batch/v1/namespaces/default/jobs/count") } }

        var pods: [JSON] {
            get async throws {
                try await call("GET", "/api/v1/namespaces/default/pods", query: ["labelSelector": "job-name=count"])["items"].array ?? []
            }
        }

        /// Reports up to `limit` running pods Succeeded, as their agent would; returns how many.
        func finishPods(limit: Int) async throws -> Int {
            var finished = 0
            for pod in try await pods where pod["status"]["phase"].string != "Succeeded" && pod["metadata"]["deletionTimestamp"].isNull {
                guard finished < limit, let name = pod["metadata"]["name"].string else { break }
                let status: JSON = [
                    "status": [
                        "phase": "Succeeded",
                        "containerStatuses": [
                            ["name": "main", "restartCount": 0, "state": ["terminated": ["exitCode": 0, "finishedAt": .string(Timestamp.now())]]]
                        ],
                    ]
                ]
                do {
                    _ = try await call("PATCH", "/api/v1/namespaces/default/pods/\(name)/status", status, contentType: "application/merge-patch+json")
                    finished += 1
                } catch let error as APIError where error.code == 409 {
                    // The controller wrote the pod meanwhile; an agent retries on its next pass.
                }
            }
            return finished
        }
    }

    @Test("stopped abruptly while pods finish and restarted on the same store, a Job of 8 completions counts exactly 8 successes")
    func exactAcrossRestarts() async throws {
        let directory = NSTemporaryDirectory() + "skiff-job-restart-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/state.db"
        var run = try await ControlPlaneRun(path: path)
        let job: JSON = [
            "apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": "count"],
            "spec": [
                "completions": 8, "parallelism": 3,
                "template": ["spec": ["restartPolicy": "Never", "containers": [["name": "main", "image": "busybox"]]]],
            ],
        ]
        _ = try await run.call("POST", "/apis/batch/v1/namespaces/default/jobs", job)
        // Each round: pods finish, and the control plane dies a varying moment after — before,
        // between or after the controller's status write and finalizer removals.
        var restarts = 0
        for round in 0..<12 {
            let deadline = Date().addingTimeInterval(10)
            while try await run.pods.filter({ $0["status"]["phase"].string != "Succeeded" }).isEmpty, Date() < deadline {
                let conditions = try await run.job["status"]["conditions"].array ?? []
                guard conditions.isEmpty else { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            let finished = try await run.finishPods(limit: 1 + round % 2)
            try await Task.sleep(for: .milliseconds(Int64(round % 4) * 7))
            await run.stop()
            let conditions = try await run.job["status"]["conditions"].array ?? []
            if finished == 0 && !conditions.isEmpty { break }
            // Pods finishing while no controller runs: their finalizer keeps them for counting.
            if round % 3 == 2 { _ = try await run.finishPods(limit: 1) }
            run = try await ControlPlaneRun(path: path)
            restarts += 1
        }
        // The Job of 8 took several rounds of 1 or 2 pods: the restarts fell while it counted.
        #expect(restarts >= 4)
        let last = run
        let complete = try await waitUntil(timeout: 20) {
            _ = try await last.finishPods(limit: 3)
            return try await last.job["status"]["conditions"].array?.contains { $0["type"] == "Complete" && $0["status"] == "True" } == true
        }
        await last.stop()
        #expect(complete)
        let status = try await last.job["status"]
        #expect(status["succeeded"].int == 8)
        #expect(status["failed"].isNull)
        #expect(status["uncountedTerminatedPods"]["succeeded"].isNull)
        let pods = try await last.pods
        #expect(pods.filter { $0["status"]["phase"].string == "Succeeded" }.count == 8)
        #expect(pods.allSatisfy { ($0["metadata"]["finalizers"].array ?? []).isEmpty })
    }

    func waitUntil(timeout: Double, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }
}
