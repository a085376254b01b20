import Foundation
import SkiffAPI
import SkiffAPIServer
import SkiffClient
import SkiffControlPlane
import SkiffControllers
import SkiffStore
import Synchronization
import Testing

/// The controllers' in-process client: informer paths, watch events, ERROR on expiry, writes
/// with their field manager and preconditions.
@Suite("InProcessControllerClient: list, watch and writes over the in-process API")
struct InProcessControllerClientTests {
    struct Stop: Error {}

    @Test("lists and watches the paths informers build, namespaced or not, with selectors")
    func listAndWatch() async throws {
        let harness = try await ControllerHarness.start()
        let client = InProcessControllerClient(api: harness.api)
        let service: JSON = ["metadata": ["name": "web", "labels": ["app": "web"]], "spec": ["ports": [["port": 80]]]]
        #expect(try await harness.call("POST", "/api/v1/namespaces/default/services", service).status == 201)
        let all = try await client.list("/api/v1/services")
        #expect(Set((all["items"].array ?? []).compactMap { $0["metadata"]["name"].string }) == ["kubernetes", "web"])
        let selected = try await client.list("/api/v1/namespaces/default/services?labelSelector=app%3Dweb")
        #expect((selected["items"].array ?? []).map { $0["metadata"]["name"] } == ["web"])
        let version = all["metadata"]["resourceVersion"].string ?? ""
        let seen = Mutex<[String]>([])
        let watching = Task {
            try await client.watch("/api/v1/services?watch=true&resourceVersion=\(version)&timeoutSeconds=5") { event in
                seen.withLock { $0.append("\(event.type) \(event.object["metadata"]["name"].string ?? "")") }
                throw Stop()
            }
        }
        let other: JSON = ["metadata": ["name": "db"], "spec": ["ports": [["port": 5432]]]]
        #expect(try await harness.call("POST", "/api/v1/namespaces/default/services", other).status == 201)
        await #expect(throws: Stop.self) { try await watching.value }
        #expect(seen.withLock { $0 } == ["ADDED db"])
    }

    @Test("a watch from a compacted resourceVersion answers an ERROR event with the 410 status")
    func expiredWatch() async throws {
        let harness = try await ControllerHarness.start()
        for index in 0..<5 {
            let service: JSON = ["metadata": ["name": .string("s\(index)")], "spec": ["ports": [["port": 80]]]]
            #expect(try await harness.call("POST", "/api/v1/namespaces/default/services", service).status == 201)
        }
        try harness.store.compact(keepingRecent: 1)
        let events = Mutex<[WatchEvent]>([])
        try await InProcessControllerClient(api: harness.api).watch("/api/v1/services?watch=true&resourceVersion=1") { event in
            events.withLock { $0.append(event) }
        }
        #expect(events.withLock { $0.map(\.type) } == ["ERROR"])
        #expect(events.withLock { $0.first?.object["code"] } == 410)
    }

    @Test("writes record their field manager; an update with a stale resourceVersion and a delete of a replaced object conflict")
    func writes() async throws {
        let harness = try await ControllerHarness.start()
        let client = InProcessControllerClient(api: harness.api)
        let endpoints: JSON = ["metadata": ["name": "manual"], "subsets": [["addresses": [["ip": "192.0.2.1"]], "ports": [["port": 80]]]]]
        let created = try await client.createEndpoints(endpoints, namespace: "default", fieldManager: "tester")
        #expect(created["metadata"]["managedFields"][0]["manager"] == "tester")
        var changed = created
        changed["subsets"][0]["addresses"][0]["ip"] = "192.0.2.2"
        let updated = try await client.updateEndpoints(changed, namespace: "default", fieldManager: "tester")
        #expect(updated["subsets"][0]["addresses"][0]["ip"] == "192.0.2.2")
        let stale = try await #require(throws: APIError.self) { try await client.updateEndpoints(changed, namespace: "default", fieldManager: "tester") }
        #expect(stale.code == 409)
        let replaced = try await #require(throws: APIError.self) { try await client.deleteEndpoints(namespace: "default", name: "manual", uid: "other") }
        #expect(replaced.code == 409)
        try await client.deleteEndpoints(namespace: "default", name: "manual", uid: created["metadata"]["uid"].string)
        #expect(try await client.get(.endpoints, namespace: "default", name: "manual") == nil)
    }
}
