import SkiffAPI
import SkiffAPIServer
import Synchronization
import Testing

/// `KubeAPI`'s public surface for clients inside the server process (the control plane's
/// scheduler client): a watch that yields objects and a create without a request body.
@Suite struct InProcessClientTests {
    let pods = "/api/v1/namespaces/default/pods"

    struct Enough: Error {}

    /// The first `count` events of an open watch; the watch's own `timeoutSeconds` bounds the wait.
    static func events(_ session: KubeAPI.WatchSession, count: Int) async throws -> [(type: String, object: JSON)] {
        guard case .open(let run) = session else {
            Issue.record("the watch expired")
            return []
        }
        let collected = Mutex<[(type: String, object: JSON)]>([])
        do {
            try await run { type, object in
                if collected.withLock({
                    $0.append((type, object))
                    return $0.count >= count
                }) {
                    throw Enough()
                }
            }
        } catch is Enough {}
        return collected.withLock { $0 }
    }

    @Test("a watch opened in process yields the events ?watch=true streams, as objects, with the query's selectors")
    func watchEventsAsObjects() async throws {
        let api = try await TestAPI()
        let created = try await api.call("POST", pods, TestAPI.pod("w", labels: ["app": "w"]))
        let version = try #require(created.body["metadata"]["resourceVersion"].string)
        _ = try await api.call("POST", pods, TestAPI.pod("other", labels: ["app": "other"]))
        _ = try await api.call("PATCH", "\(pods)/w", ["metadata": ["annotations": ["a": "1"]]], contentType: "application/merge-patch+json")
        _ = try await api.call("DELETE", "\(pods)/w")
        let session = try await api.api.openWatchInProcess(
            plural: "pods", namespace: "default", query: ["resourceVersion": version, "labelSelector": "app=w", "timeoutSeconds": "20"])
        let events = try await Self.events(session, count: 2)
        #expect(events.map(\.type) == ["MODIFIED", "DELETED"])
        #expect(events.first?.object["metadata"]["annotations"]["a"] == "1")
        #expect(events.first?.object["kind"] == "Pod")
    }

    @Test("a watch in another namespace does not see the default namespace's pods")
    func watchIsScopedToItsNamespace() async throws {
        let api = try await TestAPI()
        _ = try await api.call("POST", "/api/v1/namespaces", ["metadata": ["name": "elsewhere"]])
        _ = try await api.call("POST", pods, TestAPI.pod("here"))
        _ = try await api.call("POST", "/api/v1/namespaces/elsewhere/pods", TestAPI.pod("there"))
        let session = try await api.api.openWatchInProcess(plural: "pods", namespace: "elsewhere", query: ["timeoutSeconds": "20"])
        let events = try await Self.events(session, count: 1)
        #expect(events.map(\.type) == ["ADDED"])
        #expect(events.map { $0.object["metadata"]["name"] } == ["there"])
    }

    @Test("a watch from a compacted resourceVersion is expired, with the 410 status a client gets")
    func watchFromACompactedVersionIsExpired() async throws {
        let api = try await TestAPI()
        for index in 0..<10 { _ = try await api.call("POST", pods, TestAPI.pod("c\(index)")) }
        try api.store.compact(keepingRecent: 2)
        let session = try await api.api.openWatchInProcess(plural: "pods", query: ["resourceVersion": "1"])
        guard case .expired(let status) = session else {
            Issue.record("expected an expired watch")
            return
        }
        #expect(status["code"] == 410)
        #expect(status["reason"] == "Expired")
    }

    @Test("an unknown resource is not found, as its path would be")
    func watchOfAnUnknownResource() async throws {
        let api = try await TestAPI()
        let error = try await #require(throws: APIError.self) { _ = try await api.api.openWatchInProcess(plural: "gizmos") }
        #expect(error.code == 404)
    }

    @Test("a create in process is stored with the POST's defaults and the caller's field manager, and checked like one")
    func createInProcess() async throws {
        let api = try await TestAPI()
        let event: JSON = [
            "metadata": ["name": "e1"], "reason": "Scheduled", "message": "placed", "type": "Normal",
            "involvedObject": ["kind": "Pod", "namespace": "default", "name": "p"],
        ]
        let stored = try await api.api.createInProcess(event, plural: "events", namespace: "default", fieldManager: "kube-scheduler")
        #expect(stored["kind"] == "Event")
        #expect(stored["metadata"]["namespace"] == "default")
        #expect(stored["metadata"]["resourceVersion"].string != nil)
        #expect(stored["metadata"]["managedFields"][0]["manager"] == "kube-scheduler")
        let read = try await api.call("GET", "/api/v1/namespaces/default/events/e1")
        #expect(read.body["reason"] == "Scheduled")
        let mismatch = try await #require(throws: APIError.self) {
            _ = try await api.api.createInProcess(["kind": "Pod", "metadata": ["name": "e2"]], plural: "events", namespace: "default", fieldManager: "x")
        }
        #expect(mismatch.code == 400)
    }
}
