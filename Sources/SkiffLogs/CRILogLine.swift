import SkiffSystem

/// One record of a CRI log file: `<RFC3339Nano timestamp> <stdout|stderr> <F|P> <content>\n`, the
/// format the kubelet reads and containerd, CRI-O's conmon and skiff-monitor write. A line longer
/// than the writer's limit is stored as `P` (partial) records followed by a final `F` record.
public struct CRILogLine: Equatable, Sendable {
    /// Which of the container's output pipes a record came from.
    public enum Stream: String, Sendable, CaseIterable {
        case stdout, stderr
    }

    public var timestamp: String
    public var stream: Stream
    public var isPartial: Bool
    /// The bytes without the record's terminating newline.
    public var content: [UInt8]

    public init(timestamp: String, stream: Stream, isPartial: Bool, content: [UInt8]) {
        self.timestamp = timestamp
        self.stream = stream
        self.isPartial = isPartial
        self.content = content
    }

    /// Parses one record, without its terminating newline. Tags may carry extra `:`-separated
    /// fields after `P`/`F` (the CRI spec reserves them); an `F` record with empty content may
    /// omit the space after its tag.
    public init(parsing record: some Collection<UInt8>) throws(CRILogError) {
        let bytes = Array(record)
        let space = UInt8(ascii: " ")
        guard let first = bytes.firstIndex(of: space) else { throw CRILogError(bytes, "has no stream") }
        guard let second = bytes[(first + 1)...].firstIndex(of: space) else { throw CRILogError(bytes, "has no tag") }
        let streamName = String(decoding: bytes[(first + 1)..<second], as: UTF8.self)
        guard let stream = Stream(rawValue: streamName) else {
            throw CRILogError(bytes, "has stream \(streamName.quoted), not stdout or stderr")
        }
        let tagEnd = bytes[(second + 1)...].firstIndex(of: space) ?? bytes.endIndex
        let tag = bytes[(second + 1)..<tagEnd].split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false).first ?? []
        switch String(decoding: tag, as: UTF8.self) {
        case "F": isPartial = false
        case "P": isPartial = true
        case let other: throw CRILogError(bytes, "has tag \(other.quoted), not F or P")
        }
        timestamp = String(decoding: bytes[..<first], as: UTF8.self)
        self.stream = stream
        content = tagEnd < bytes.endIndex ? Array(bytes[(tagEnd + 1)...]) : []
    }

    /// The record as written to a log file, newline included.
    public var formatted: [UInt8] {
        var result = Array(timestamp.utf8)
        result.reserveCapacity(result.count + content.count + 10)
        result.append(UInt8(ascii: " "))
        result += stream.rawValue.utf8
        result += isPartial ? Array(" P ".utf8) : Array(" F ".utf8)
        result += content
        result.append(UInt8(ascii: "\n"))
        return result
    }

    /// The records a writer produces for one line of output (without its newline): `P` records
    /// of `maxContentBytes` each and a final `F` record, as containerd and skiff-monitor cut them.
    public static func records(
        timestamp: String, stream: Stream, line: [UInt8], maxContentBytes: Int = 16384
    ) -> [CRILogLine] {
        precondition(maxContentBytes > 0, "maxContentBytes must be positive")
        var result: [CRILogLine] = []
        var rest = line[...]
        while rest.count > maxContentBytes {
            result.append(CRILogLine(timestamp: timestamp, stream: stream, isPartial: true, content: Array(rest.prefix(maxContentBytes))))
            rest = rest.dropFirst(maxContentBytes)
        }
        result.append(CRILogLine(timestamp: timestamp, stream: stream, isPartial: false, content: Array(rest)))
        return result
    }
}

/// A log record that does not follow the CRI format.
public struct CRILogError: Error, CustomStringConvertible, Equatable, Sendable {
    public let record: String
    public let problem: String

    init(_ record: [UInt8], _ problem: String) {
        self.record = String(decoding: record.prefix(120), as: UTF8.self)
        self.problem = problem
    }

    public var description: String { "CRI log record \(record.quoted) \(problem)" }
}
