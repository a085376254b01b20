import Foundation
import SkiffAPI
import Testing

@testable import SkiffControllers

@Suite("Job arithmetic: index ranges, back-off, pod failure policy")
struct JobMathTests {
    @Test("index ranges merge neighbours and print as Kubernetes does")
    func ranges() {
        var set = IndexRanges([5, 0, 2, 1])
        #expect(set.description == "0-2,5")
        set.insert(4)
        #expect(set.description == "0-2,4-5")
        set.insert(3)
        #expect(set.description == "0-5" && set.count == 6)
        #expect(IndexRanges(parsing: "0-2,5,7-9", limit: 8).description == "0-2,5,7")
        #expect(IndexRanges(parsing: "x,3-1,4").description == "4")
        #expect(IndexRanges(parsing: "").isEmpty && IndexRanges().description == "")
        let sparse = IndexRanges([1, 3, 10, 11, 12, 40])
        #expect(sparse.contains(11) && sparse.contains(40) && !sparse.contains(2) && !sparse.contains(13))
        #expect(IndexRanges([1, 3]).union(IndexRanges([2])).description == "1-3")
    }

    @Test("missing indexes are the lowest not completed, failed or running")
    func missing() {
        let done = IndexRanges(parsing: "0-2,5")
        let running = IndexRanges([3])
        #expect(IndexRanges.missing(below: 8, from: [done, running], count: 10) == [4, 6, 7])
        #expect(IndexRanges.missing(below: 8, from: [done, running], count: 2) == [4, 6])
        #expect(IndexRanges.missing(below: 3, from: [done], count: 5) == [])
        #expect(IndexRanges.missing(below: 4, from: [], count: 5) == [0, 1, 2, 3])
    }

    @Test("back-off doubles from the base to the cap, and a success starts it over")
    func backoff() {
        let backoff = JobBackoff()
        #expect(backoff.delay(failures: 0) == .zero)
        #expect(backoff.delay(failures: 1) == .seconds(10))
        #expect(backoff.delay(failures: 2) == .seconds(20))
        #expect(backoff.delay(failures: 6) == .seconds(320))
        #expect(backoff.delay(failures: 7) == .seconds(360))
        #expect(backoff.delay(failures: 1000) == .seconds(360))
        let start = Date(timeIntervalSince1970: 1_000_000)
        #expect(backoff.remaining(failures: 2, lastFailure: start, now: start.addingTimeInterval(5)) == .seconds(15))
        #expect(backoff.remaining(failures: 2, lastFailure: start, now: start.addingTimeInterval(25)) == .zero)
        let record = JobBackoff.Record().updated(succeeded: 0, failed: 2, now: start)
        #expect(record.failuresAfterLastSuccess == 2 && record.lastFailure == start)
        #expect(record.updated(succeeded: 1, failed: 0, now: start) == JobBackoff.Record())
        #expect(record.updated(succeeded: 1, failed: 1, now: start).failuresAfterLastSuccess == 1)
    }

    static func failedPod(exits: [(String, Int)], conditions: [JSON] = []) throws -> Pod {
        try Pod(json: [
            "metadata": ["name": "p", "namespace": "default", "uid": "u"],
            "spec": ["containers": .array(exits.map { ["name": .string($0.0), "image": "busybox"] })],
            "status": [
                "phase": "Failed", "conditions": .array(conditions),
                "containerStatuses": .array(exits.map { ["name": .string($0.0), "state": ["terminated": ["exitCode": .int(Int64($0.1))]]] }),
            ],
        ])
    }

    static func policy(_ rules: JSON) throws -> PodFailurePolicy { try PodFailurePolicy(json: JSONField(["rules": rules])) }

    @Test("pod failure policy rules match exit codes In and NotIn, by container, never exit 0, and pod conditions")
    func podFailurePolicy() throws {
        let policy = try Self.policy([
            ["action": "Ignore", "onPodConditions": [["type": "DisruptionTarget"]]],
            ["action": "FailJob", "onExitCodes": ["containerName": "main", "operator": "In", "values": [42]]],
            ["action": "Count", "onExitCodes": ["operator": "NotIn", "values": [1, 2]]],
        ])
        let fortyTwo = policy.match(try Self.failedPod(exits: [("main", 42)]))
        #expect(fortyTwo?.action == .failJob && fortyTwo?.rule == 1)
        #expect(fortyTwo?.message == "Container main for pod default/p failed with exit code 42 matching FailJob rule at index 1")
        // 42 in another container: not the FailJob rule (it names `main`), but NotIn [1, 2] matches.
        #expect(policy.match(try Self.failedPod(exits: [("main", 0), ("side", 42)]))?.action == .count)
        #expect(policy.match(try Self.failedPod(exits: [("main", 1)])) == nil)
        // Exit 0 never matches, even NotIn.
        #expect(policy.match(try Self.failedPod(exits: [("main", 0)])) == nil)
        let disrupted = try Self.failedPod(exits: [("main", 42)], conditions: [["type": "DisruptionTarget", "status": "True"]])
        #expect(policy.match(disrupted)?.action == .ignore)
        let notDisrupted = try Self.failedPod(exits: [("main", 3)], conditions: [["type": "DisruptionTarget", "status": "False"]])
        #expect(policy.match(notDisrupted)?.action == .count)
        #expect(throws: JSONShapeError.self) { try Self.policy([["action": "FailJob", "onExitCodes": ["operator": "Maybe", "values": [1]]]]) }
    }
}
