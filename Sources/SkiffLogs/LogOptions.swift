/// What `kubectl logs` asks for: `tailLines`, `timestamps`, `sinceTime`/`sinceSeconds`,
/// `limitBytes`, and (for the CRI) which stream.
public struct LogOptions: Sendable, Equatable {
    /// The last N lines (a line split into partial records counts once); nil or negative: all.
    public var tailLines: Int?
    /// Prefix each line with its RFC3339Nano timestamp and a space, as the kubelet does.
    public var timestamps: Bool
    /// Only lines written at or after this instant.
    public var sinceTime: CRITimestamp?
    /// Stop after this many bytes of output.
    public var limitBytes: Int?
    public var streams: LogStreamFilter

    public init(
        tailLines: Int? = nil, timestamps: Bool = false, sinceTime: CRITimestamp? = nil, limitBytes: Int? = nil,
        streams: LogStreamFilter = .all
    ) {
        self.tailLines = tailLines
        self.timestamps = timestamps
        self.sinceTime = sinceTime
        self.limitBytes = limitBytes
        self.streams = streams
    }

    /// The tail count in effect: nil when every line is wanted.
    var effectiveTail: Int? {
        guard let tailLines, tailLines >= 0 else { return nil }
        return tailLines
    }
}

/// Which of the container's output streams to show.
public enum LogStreamFilter: Sendable, Equatable {
    case all, stdout, stderr

    public func includes(_ stream: CRILogLine.Stream) -> Bool {
        switch self {
        case .all: true
        case .stdout: stream == .stdout
        case .stderr: stream == .stderr
        }
    }
}
