import SkiffLogs
import Testing

@Suite("reading a container's log like kubectl logs")
struct ContainerLogTests {
    func numbered(_ range: ClosedRange<Int>, _ stream: CRILogLine.Stream = .stdout) -> [(CRILogLine.Stream, Bool, String)] {
        range.map { (stream, false, "line \($0)") }
    }

    func expected(_ range: ClosedRange<Int>) -> String { range.map { "line \($0)\n" }.joined() }

    @Test("tail N reaches back across rotated files, oldest first")
    func tailAcrossRotation() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.writeLog("0.log.20240101-000000", numbered(1...5))
        try scratch.writeLog("0.log.20240101-000000.1", numbered(6...8))
        try scratch.writeLog("0.log", numbered(9...10))
        try scratch.writeLog("1.log", numbered(100...101))  // another restart's log: not ours
        let log = ContainerLog(path: scratch.path + "/0.log")
        #expect(
            log.files.map { $0.split(separator: "/").last.map(String.init) ?? "" }
                == ["0.log.20240101-000000", "0.log.20240101-000000.1", "0.log"])
        #expect(try log.read().text == expected(1...10))
        #expect(try log.read(LogOptions(tailLines: 4)).text == expected(7...10))
        #expect(try log.read(LogOptions(tailLines: 2)).text == expected(9...10))
        #expect(try log.read(LogOptions(tailLines: 100)).text == expected(1...10))
        #expect(try log.read(LogOptions(tailLines: 0)).text == "")
        #expect(try log.read(LogOptions(tailLines: -1)).text == expected(1...10))
    }

    @Test("tail finds lines across many 64 KiB blocks of one file")
    func tailOfABigFile() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.writeLog("0.log", numbered(1...6000))
        let log = ContainerLog(path: scratch.path + "/0.log")
        #expect(try log.read(LogOptions(tailLines: 4321)).text == expected(1680...6000))
        #expect(try log.read(LogOptions(tailLines: 1)).text == expected(6000...6000))
    }

    @Test("partial records join into one line; a trailing partial line has no newline")
    func partialLines() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.writeLog(
            "0.log",
            [
                (.stdout, true, "first "), (.stderr, false, "interleaved"), (.stdout, true, "half, "),
                (.stdout, false, "done"), (.stderr, true, "cut off"),
            ])
        let log = ContainerLog(path: scratch.path + "/0.log")
        #expect(try log.read().text == "interleaved\nfirst half, done\ncut off")
        #expect(try log.read(LogOptions(tailLines: 1, streams: .stdout)).text == "first half, done\n")
        #expect(try log.read(LogOptions(streams: .stderr)).text == "interleaved\ncut off")
    }

    @Test("timestamps prefix each line with its first record's time, as the kubelet prints it")
    func timestamps() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.writeLog("0.log", [(.stdout, true, "a"), (.stdout, false, "b"), (.stderr, false, "c")])
        let log = ContainerLog(path: scratch.path + "/0.log")
        #expect(
            try log.read(LogOptions(timestamps: true)).text
                == "2023-11-14T22:13:20.12Z ab\n2023-11-14T22:13:22.12Z c\n")
    }

    @Test("sinceTime, limitBytes and the stream filter select what kubectl asked for")
    func filters() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.writeLog("0.log", numbered(1...3) + numbered(4...6, .stderr))
        let log = ContainerLog(path: scratch.path + "/0.log")
        let since = CRITimestamp(seconds: 1_700_000_002)  // line 3 was written at +2 s (and .12)
        #expect(try log.read(LogOptions(sinceTime: since)).text == expected(3...6))
        #expect(try log.read(LogOptions(limitBytes: 10)).text == "line 1\nlin")
        #expect(try log.read(LogOptions(tailLines: 2, streams: .stdout)).text == expected(2...3))
        #expect(try log.read(LogOptions(tailLines: 2, limitBytes: 9)).text == "line 5\nli")
    }

    @Test("a log with no file at all is an error naming the path")
    func missing() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        #expect(throws: Error.self) { try ContainerLog(path: scratch.path + "/0.log").read() }
    }
}
