import Logging
import SkiffAPI
import SkiffClient
import Synchronization
import Testing

@testable import SkiffControllers

@Suite("Pod control and expectations")
struct PodControlTests {
    @Test("slow start creates in batches of 1, 2, 4, … and stops after the first batch with a failure")
    func slowStart() async {
        let calls = Mutex<[Int]>([])
        let all = await PodControl.slowStartBatch(count: 10) { index in calls.withLock { $0.append(index) } }
        #expect(all.successes == 10 && all.error == nil)
        #expect(calls.withLock { $0.sorted() } == Array(0..<10))

        // Call 4 (the third batch: 3, 4, 5, 6) fails: the batch finishes, nothing after it starts.
        calls.withLock { $0 = [] }
        struct Refused: Error {}
        let failing = await PodControl.slowStartBatch(count: 20) { index in
            calls.withLock { $0.append(index) }
            if index == 4 { throw Refused() }
        }
        #expect(failing.successes == 6)
        #expect(failing.error is Refused)
        #expect(calls.withLock { $0.sorted() } == Array(0..<7))
    }

    @Test("expectations hold a sync back until every creation and deletion was observed, and lapse after the timeout")
    func expectations() async throws {
        let expectations = ControllerExpectations()
        #expect(expectations.isSatisfied("ns/rs"))
        expectations.expectCreations("ns/rs", count: 2)
        #expect(!expectations.isSatisfied("ns/rs"))
        expectations.creationObserved("ns/rs")
        #expect(!expectations.isSatisfied("ns/rs"))
        expectations.creationObserved("ns/rs")
        #expect(expectations.isSatisfied("ns/rs"))

        expectations.expectDeletions("ns/rs", uids: ["a", "b"])
        expectations.deletionObserved("ns/rs", uid: "a")
        expectations.deletionObserved("ns/rs", uid: "a")
        #expect(!expectations.isSatisfied("ns/rs"))
        expectations.deletionObserved("ns/rs", uid: "b")
        #expect(expectations.isSatisfied("ns/rs"))

        let short = ControllerExpectations(timeout: .milliseconds(50))
        short.expectCreations("ns/rs", count: 1)
        #expect(!short.isSatisfied("ns/rs"))
        try await Task.sleep(for: .milliseconds(80))
        #expect(short.isSatisfied("ns/rs"))
    }

    @Test("the shared factory gives every controller the same informer, indexed by namespace and controller")
    func sharedInformers() async throws {
        let cluster = FakeCluster()
        let owner = Pod.OwnerReference(apiVersion: "apps/v1", kind: "ReplicaSet", name: "web", uid: "rs-uid")
        var owned = try Fixtures.pod("a").json
        owned["metadata"]["ownerReferences"] = [owner.json]
        cluster.put(.pods, owned)
        cluster.put(.pods, try Fixtures.pod("b").json)
        let shared = SharedInformers(client: cluster, logger: Logger(label: "test"))
        #expect(shared.pods === shared.pods)
        #expect(shared.runnables.count == 1)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await shared.pods.run() }
            await shared.pods.waitForSync()
            #expect(shared.pods.objects(controlledBy: "rs-uid").map(\.name) == ["a"])
            #expect(Set(shared.pods.objects(in: "default").map(\.name)) == ["a", "b"])
            group.cancelAll()
        }
    }
}
