/// Turns CRI records into what `kubectl logs` prints: joins partial records into one line,
/// filters by stream and time, adds timestamps, keeps the last N lines, and stops at a byte
/// limit. Feed it records in file order; take the output as it grows.
struct LogPipeline {
    /// A line kept in pieces beyond this many bytes while streaming, so one endless line
    /// without a newline cannot grow without bound. Lines under a tail are always joined whole.
    static let joinLimit = 1 << 20

    private let options: LogOptions
    private var pending: [CRILogLine.Stream: PendingLine] = [:]
    private var tail: TailBuffer?
    private var output: [UInt8] = []
    private var remaining: Int?

    private struct PendingLine {
        var timestamp: String
        var content: [UInt8]
        /// Some of the line was already written out, prefix included.
        var continued: Bool
        /// The first piece fell before `sinceTime`, so the rest is dropped too.
        var dropped = false
    }

    init(_ options: LogOptions) {
        self.options = options
        tail = options.effectiveTail.map(TailBuffer.init)
        remaining = options.limitBytes.map { max(0, $0) }
    }

    /// The byte limit is reached: nothing more will be written.
    var isSatisfied: Bool { remaining == 0 }

    /// Takes one record without its newline; records that are not CRI format are skipped, as
    /// the kubelet does.
    mutating func consume(record: some Collection<UInt8>) {
        guard !isSatisfied, let line = try? CRILogLine(parsing: record), options.streams.includes(line.stream) else { return }
        var current = pending[line.stream] ?? PendingLine(timestamp: line.timestamp, content: [], continued: false)
        current.content += line.content
        if !line.isPartial {
            pending[line.stream] = nil
            _ = emit(current, complete: true)
        } else if tail == nil && current.content.count > Self.joinLimit {
            let shown = emit(current, complete: false)
            pending[line.stream] = PendingLine(timestamp: current.timestamp, content: [], continued: true, dropped: !shown)
        } else {
            pending[line.stream] = current
        }
    }

    /// Ends the tail: the kept lines become output and later lines stream straight through.
    mutating func finishTail() {
        guard let kept = tail else { return }
        tail = nil
        for line in kept.lines { append(line) }
    }

    /// The input ended: a line that never got its final record is shown as it stands, without
    /// a newline, as the kubelet shows a trailing partial record.
    mutating func flushPartials() {
        let lines = pending.values.sorted { $0.timestamp < $1.timestamp }
        pending = [:]
        for line in lines { _ = emit(line, complete: false) }
        finishTail()
    }

    mutating func takeOutput() -> [UInt8] {
        defer { output = [] }
        return output
    }

    /// Returns false when the line is filtered out by `sinceTime`.
    private mutating func emit(_ line: PendingLine, complete: Bool) -> Bool {
        if line.dropped { return false }
        if !line.continued, let since = options.sinceTime {
            guard let time = CRITimestamp(line.timestamp), time >= since else { return false }
        }
        var bytes: [UInt8] = []
        if options.timestamps && !line.continued {
            bytes += (CRITimestamp(line.timestamp)?.rfc3339Nano ?? line.timestamp).utf8
            bytes.append(UInt8(ascii: " "))
        }
        bytes += line.content
        if complete { bytes.append(UInt8(ascii: "\n")) }
        if tail != nil { tail?.add(bytes) } else { append(bytes) }
        return true
    }

    private mutating func append(_ bytes: [UInt8]) {
        guard let left = remaining else {
            output += bytes
            return
        }
        let taken = min(left, bytes.count)
        output += bytes.prefix(taken)
        remaining = left - taken
    }
}

/// The last N lines seen, in order.
struct TailBuffer {
    private let capacity: Int
    private var ring: [[UInt8]] = []
    private var next = 0

    init(_ capacity: Int) { self.capacity = capacity }

    mutating func add(_ line: [UInt8]) {
        guard capacity > 0 else { return }
        if ring.count < capacity {
            ring.append(line)
        } else {
            ring[next] = line
            next = (next + 1) % capacity
        }
    }

    var lines: [[UInt8]] { Array(ring[next...] + ring[..<next]) }
}
