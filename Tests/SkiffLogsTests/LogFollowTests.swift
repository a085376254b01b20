import Glibc
import SkiffLogs
import Testing

/// The test's stand-in for "the container exited and its monitor closed the log".
actor Flag {
    private(set) var isSet = false
    func set() { isSet = true }
}

@Suite("following a log like kubectl logs -f", .timeLimit(.minutes(1)))
struct LogFollowTests {
    /// Reads chunks until the collected text ends with `suffix`, or (nil) until the follow ends.
    func collect(_ iterator: inout LogFollow.Iterator, until suffix: String?) async throws -> String {
        var text = ""
        while suffix.map({ !text.hasSuffix($0) }) ?? true {
            guard let chunk = try await iterator.next() else { break }
            text += chunk.text
        }
        return text
    }

    @Test("follow shows the tail, then appended lines, and ends once the container finished")
    func appendedLinesThenFinish() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.writeLog("0.log", [(.stdout, false, "old 1"), (.stdout, false, "old 2")])
        let flag = Flag()
        let log = ContainerLog(path: scratch.path + "/0.log")
        var iterator = log.follow(LogOptions(tailLines: 1), pollInterval: .milliseconds(20)) { await flag.isSet }
            .makeAsyncIterator()
        #expect(try await iterator.next()?.text == "old 2\n")
        try scratch.writeLog("0.log", [(.stdout, true, "new "), (.stderr, false, "err")])
        try scratch.writeLog("0.log", [(.stdout, false, "line")])
        #expect(try await collect(&iterator, until: "new line\n") == "err\nnew line\n")
        try scratch.writeLog("0.log", [(.stdout, false, "last words")])
        await flag.set()
        #expect(try await collect(&iterator, until: nil) == "last words\n", "drained after finishing, then ended")
        #expect(try await iterator.next() == nil)
    }

    @Test("follow keeps going when the file is rotated under it")
    func rotation() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.writeLog("0.log", [(.stdout, false, "a")])
        let flag = Flag()
        var iterator = ContainerLog(path: scratch.path + "/0.log")
            .follow(pollInterval: .milliseconds(20)) { await flag.isSet }.makeAsyncIterator()
        #expect(try await iterator.next()?.text == "a\n")
        try scratch.writeLog("0.log", [(.stdout, false, "b")])
        #expect(rename(scratch.path + "/0.log", scratch.path + "/0.log.20240101-000000") == 0)
        try scratch.writeLog("0.log", [(.stdout, false, "c"), (.stdout, false, "d")])
        #expect(try await collect(&iterator, until: "d\n") == "b\nc\nd\n")
        await flag.set()
        #expect(try await iterator.next() == nil)
    }

    @Test("cancelling the consumer ends the follow")
    func cancellation() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.writeLog("0.log", [(.stdout, false, "a")])
        let log = ContainerLog(path: scratch.path + "/0.log")
        let task = Task {
            var chunks = 0
            for try await _ in log.follow(pollInterval: .milliseconds(20), isFinished: { false }) { chunks += 1 }
            return chunks
        }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        #expect(try await task.value == 1)
    }
}
