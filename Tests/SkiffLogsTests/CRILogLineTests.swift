import SkiffLogs
import Testing

@Suite("CRI log records")
struct CRILogLineTests {
    @Test("a full record formats and parses back to the same line")
    func fullRoundTrip() throws {
        let line = CRILogLine(timestamp: "2024-05-06T07:08:09.123456789Z", stream: .stderr, isPartial: false, content: Array("hello world".utf8))
        #expect(line.formatted.text == "2024-05-06T07:08:09.123456789Z stderr F hello world\n")
        #expect(try CRILogLine(parsing: line.formatted.dropLast()) == line)
    }

    @Test("a long line becomes P records of the limit and a final F record that parse back")
    func partialRoundTrip() throws {
        let content = Array(String(repeating: "x", count: 40000).utf8)
        let records = CRILogLine.records(timestamp: "2024-05-06T07:08:09.000000001Z", stream: .stdout, line: content)
        #expect(records.map(\.isPartial) == [true, true, false])
        #expect(records.map(\.content.count) == [16384, 16384, 40000 - 32768])
        for record in records {
            #expect(try CRILogLine(parsing: record.formatted.dropLast()) == record)
        }
        let exact = CRILogLine.records(timestamp: "t", stream: .stdout, line: Array(repeating: 65, count: 16384))
        #expect(exact.map(\.isPartial) == [false], "a line of exactly the limit stays whole, as containerd writes it")
    }

    @Test("empty content, tags with extra fields, and content with spaces parse")
    func parsingEdges() throws {
        let empty = try CRILogLine(parsing: Array("2024-01-01T00:00:00Z stdout F ".utf8))
        #expect(empty.content.isEmpty && !empty.isPartial)
        let noSpace = try CRILogLine(parsing: Array("2024-01-01T00:00:00Z stdout F".utf8))
        #expect(noSpace.content.isEmpty)
        let tagged = try CRILogLine(parsing: Array("2024-01-01T00:00:00Z stderr P:x  two  spaces ".utf8))
        #expect(tagged.isPartial && tagged.stream == .stderr && tagged.content.text == " two  spaces ")
    }

    @Test(
        "malformed records are rejected with the reason",
        arguments: [
            ("2024-01-01T00:00:00Z", "has no stream"),
            ("2024-01-01T00:00:00Z stdout", "has no tag"),
            ("2024-01-01T00:00:00Z stdin F x", "has stream \"stdin\", not stdout or stderr"),
            ("2024-01-01T00:00:00Z stdout X x", "has tag \"X\", not F or P"),
        ])
    func malformed(record: String, problem: String) {
        #expect(throws: CRILogError.self) { try CRILogLine(parsing: Array(record.utf8)) }
        do {
            _ = try CRILogLine(parsing: Array(record.utf8))
        } catch {
            #expect(error.problem == problem)
        }
    }

    @Test("timestamps parse with Z or offsets and print like Go's RFC3339Nano")
    func timestamps() throws {
        let fixed = try #require(CRITimestamp("2024-02-29T23:59:58.120000000Z"))
        #expect(fixed.rfc3339Nano == "2024-02-29T23:59:58.12Z")
        #expect(fixed.fixedWidth == "2024-02-29T23:59:58.120000000Z")
        #expect(CRITimestamp("2024-03-01T01:59:58.12+02:00") == fixed)
        #expect(CRITimestamp("2024-02-29T23:59:58Z")?.rfc3339Nano == "2024-02-29T23:59:58Z")
        #expect(CRITimestamp(seconds: 0).rfc3339Nano == "1970-01-01T00:00:00Z")
        #expect(CRITimestamp(seconds: 1_700_000_000, nanoseconds: 5).fixedWidth == "2023-11-14T22:13:20.000000005Z")
        #expect(CRITimestamp("2024-13-01T00:00:00Z") == nil)
        #expect(CRITimestamp("2024-01-01T00:00:00") == nil)
        #expect(CRITimestamp("2024-01-01T00:00:00.Z") == nil)
    }
}
