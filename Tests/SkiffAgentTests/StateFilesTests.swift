import FoundationEssentials
import SkiffAPI
import SkiffSystem
import Testing

@testable import SkiffAgent

/// The files the agent keeps beside each pod and container: state.json (ours) and exit.json
/// (skiff-monitor's).
@Suite("state.json and exit.json")
struct StateFilesTests {
    @Test("exit.json: code, signal and a nanosecond finishedAt; a missing file is exit 255")
    func exitRecords() throws {
        let exit = ContainerExit(
            json: try JSON(parsing: #"{"exitCode":137,"signal":9,"startedAt":"2026-12-05T10:00:00.123456789Z","finishedAt":"2026-12-05T10:00:05.987654321Z"}"#))
        #expect(exit.exitCode == 137)
        #expect(exit.signal == 9)
        #expect(exit.finishedAt == Timestamp.parse("2026-12-05T10:00:05Z"))
        #expect(ContainerExit.read(directory: "/nonexistent-\(UInt32.random(in: 0...UInt32.max))").exitCode == 255)
        #expect(ContainerExit(json: ["exitCode": .int(Int64(Int32.max) + 1)]).exitCode == 255, "an out-of-range code is not trusted")
    }

    @Test("state.json round-trips a pod's record through a real file")
    func podRecordRoundTrip() throws {
        var running = ContainerState(name: "app", isInit: false)
        running.phase = .running(id: "abc", startedAt: Date(timeIntervalSince1970: 1_700_000_000))
        running.restartCount = 2
        let record = PodRecord(
            pod: try Pod(json: ["metadata": ["uid": "u1", "name": "p"]]), containers: [running], finished: false,
            startTime: Date(timeIntervalSince1970: 1_699_999_999), podIP: "10.42.0.9")
        let directory = "/tmp/skiff-state-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileSystem.removeTree(directory) }
        try record.save(podsDirectory: directory, uid: "u1")
        let loaded = try #require(PodRecord.load(podsDirectory: directory, uid: "u1"))
        #expect(loaded.pod == record.pod)
        #expect(loaded.containers.map(\.name) == ["app"])
        #expect(loaded.containers.first?.runningID == "abc")
        #expect(loaded.containers.first?.restartCount == 2)
        #expect(loaded.startTime == record.startTime)
        #expect(loaded.podIP == "10.42.0.9")
        #expect(!loaded.finished)
        #expect(PodRecord(json: ["containers": []]) == nil, "a record without its pod is not a record")
    }
}
