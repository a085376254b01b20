import SkiffAPI
import SkiffAPIServer
import Testing

@Suite struct ListWatchTests {
    let pods = "/api/v1/namespaces/default/pods"

    @Test func listFiltersByLabelAndFieldSelectors() async throws {
        let api = try await TestAPI()
        _ = try await api.call("POST", pods, TestAPI.pod("a", labels: ["app": "web"], node: "n1"))
        _ = try await api.call("POST", pods, TestAPI.pod("b", labels: ["app": "web"]))
        _ = try await api.call("POST", pods, TestAPI.pod("c", labels: ["app": "db"], node: "n1"))
        let web = try await api.call("GET", pods, query: ["labelSelector": "app=web"])
        #expect(web.body["kind"] == "PodList")
        #expect(web.body["items"].array?.compactMap { $0["metadata"]["name"].string } == ["a", "b"])
        let onNode = try await api.call("GET", "/api/v1/pods", query: ["fieldSelector": "spec.nodeName=n1"])
        #expect(onNode.body["items"].array?.compactMap { $0["metadata"]["name"].string } == ["a", "c"])
        let both = try await api.call("GET", pods, query: ["labelSelector": "app in (web)", "fieldSelector": "metadata.name!=a"])
        #expect(both.body["items"].array?.compactMap { $0["metadata"]["name"].string } == ["b"])
        #expect(try await api.call("GET", pods, query: ["fieldSelector": "spec.bogus=x"]).status == 400)
        #expect(try await api.call("GET", pods, query: ["labelSelector": "a b c"]).status == 400)
    }

    @Test func listPaginatesWithLimitAndContinueAtOneRevision() async throws {
        let api = try await TestAPI()
        for index in 0..<5 { _ = try await api.call("POST", pods, TestAPI.pod("p\(index)")) }
        let first = try await api.call("GET", pods, query: ["limit": "2"])
        #expect(first.body["items"].array?.count == 2)
        let token = try #require(first.body["metadata"]["continue"].string)
        _ = try await api.call("POST", pods, TestAPI.pod("p9"))
        let second = try await api.call("GET", pods, query: ["limit": "2", "continue": token])
        #expect(second.body["items"].array?.compactMap { $0["metadata"]["name"].string } == ["p2", "p3"])
        let third = try await api.call("GET", pods, query: ["limit": "2", "continue": try #require(second.body["metadata"]["continue"].string)])
        #expect(third.body["items"].array?.compactMap { $0["metadata"]["name"].string } == ["p4"])
        #expect(third.body["metadata"]["continue"].isNull)
        #expect(try await api.call("GET", pods, query: ["continue": "garbage"]).status == 400)
    }

    @Test func tableResponsesCarryKubectlColumnsAndWideColumns() async throws {
        let api = try await TestAPI()
        _ = try await api.call("POST", pods, TestAPI.pod("a", node: "n1"))
        let table = try await api.call("GET", pods, accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json")
        #expect(table.body["kind"] == "Table")
        let columns = table.body["columnDefinitions"].array ?? []
        #expect(columns.filter { $0["priority"] == 0 }.compactMap { $0["name"].string } == ["Name", "Ready", "Status", "Restarts", "Age"])
        #expect(columns.filter { $0["priority"] == 1 }.compactMap { $0["name"].string } == ["IP", "Node", "Nominated Node", "Readiness Gates"])
        let cells = table.body["rows"][0]["cells"].array ?? []
        #expect(cells.prefix(4) == ["a", "0/1", "Pending", 0])
        #expect(cells[6] == "n1")
        #expect(table.body["rows"][0]["object"]["kind"] == "PartialObjectMetadata")
    }

    @Test func watchFromAResourceVersionSeesModifiedAndDeletedInOrder() async throws {
        let api = try await TestAPI()
        let created = try await api.call("POST", pods, TestAPI.pod("w", labels: ["app": "w"]))
        let version = try #require(created.body["metadata"]["resourceVersion"].string)
        _ = try await api.call("PATCH", "\(pods)/w", ["metadata": ["labels": ["x": "1"]]], contentType: "application/merge-patch+json")
        _ = try await api.call("DELETE", "\(pods)/w")
        let events = try await api.watch(pods, query: ["resourceVersion": version], count: 2)
        #expect(events.map { $0["type"] } == ["MODIFIED", "DELETED"])
        #expect(events[0]["object"]["metadata"]["labels"]["x"] == "1")
        let versions = events.compactMap { $0["object"]["metadata"]["resourceVersion"].string.flatMap { Int64($0) } }
        #expect(versions == versions.sorted() && versions.count == 2)
    }

    @Test func watchWithoutVersionStartsWithAddedForExistingObjects() async throws {
        let api = try await TestAPI()
        _ = try await api.call("POST", pods, TestAPI.pod("one"))
        _ = try await api.call("POST", pods, TestAPI.pod("two"))
        let events = try await api.watch(pods, query: ["fieldSelector": "metadata.name=two"], count: 1)
        #expect(events.map { $0["type"] } == ["ADDED"])
        #expect(events.first?["object"]["metadata"]["name"] == "two")
    }

    @Test func watchTurnsSelectorTransitionsIntoAddedAndDeleted() async throws {
        let api = try await TestAPI()
        let created = try await api.call("POST", pods, TestAPI.pod("t", labels: ["app": "a"]))
        let version = try #require(created.body["metadata"]["resourceVersion"].string)
        _ = try await api.call("PATCH", "\(pods)/t", ["metadata": ["labels": ["app": "b"]]], contentType: "application/merge-patch+json")
        _ = try await api.call("PATCH", "\(pods)/t", ["metadata": ["labels": ["app": "a"]]], contentType: "application/merge-patch+json")
        let events = try await api.watch(pods, query: ["resourceVersion": version, "labelSelector": "app=a"], count: 2)
        #expect(events.map { $0["type"] } == ["DELETED", "ADDED"])
    }

    @Test func watchFromACompactedVersionGetsAnExpiredError() async throws {
        let api = try await TestAPI()
        for index in 0..<10 { _ = try await api.call("POST", pods, TestAPI.pod("c\(index)")) }
        try api.store.compact(keepingRecent: 2)
        let events = try await api.watch(pods, query: ["resourceVersion": "1"], count: 1)
        #expect(events.first?["type"] == "ERROR")
        #expect(events.first?["object"]["code"] == 410)
        #expect(events.first?["object"]["reason"] == "Expired")
    }

    @Test func watchSendsBookmarksWhenAsked() async throws {
        let api = try await TestAPI()
        let created = try await api.call("POST", pods, TestAPI.pod("b"))
        let version = try #require(created.body["metadata"]["resourceVersion"].string)
        // A generous wait: the bookmark is due after 200 ms, but on two cores the whole suite's
        // root tests can hold the cooperative pool for seconds at a time.
        let events = try await api.watch(pods, query: ["resourceVersion": version, "allowWatchBookmarks": "true"], count: 1, timeout: .seconds(30))
        #expect(events.first?["type"] == "BOOKMARK")
        #expect(events.first?["object"]["metadata"]["resourceVersion"] == .string(version))
    }

    @Test func watchTimeoutSecondsEndsTheStream() async throws {
        let api = try await TestAPI()
        let clock = ContinuousClock()
        let start = clock.now
        // The stream must end by itself, long before the collector would give up (a loose
        // bound: on a loaded 2-core CI machine even a 1 s timeout can take many seconds).
        let events = try await api.watch(pods, query: ["resourceVersion": "1", "timeoutSeconds": "1"], count: 100, timeout: .seconds(120))
        #expect(clock.now - start < .seconds(60))
        #expect(events.allSatisfy { $0["type"] != "ERROR" })
    }
}
