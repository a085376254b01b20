import Glibc
import SkiffSystem

/// A container's CRI log (the file skiff-monitor writes, plus its rotated siblings) read the
/// way `kubectl logs` shows it.
public struct ContainerLog: Sendable {
    /// The current log file; rotated siblings live beside it.
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// The log's files, oldest first.
    public var files: [String] { LogFiles.paths(for: path) }

    /// Everything the options select, as `kubectl logs` would print it. A line still being
    /// written at the end is shown as far as it got. Throws if the log has no file at all.
    public func read(_ options: LogOptions = LogOptions()) throws(SystemError) -> [UInt8] {
        let files = self.files
        guard !files.isEmpty else { throw SystemError("open", path.quoted, errno: ENOENT) }
        var pipeline = LogPipeline(options)
        var start = TailLocator.Position(file: 0, offset: 0)
        if let tail = options.effectiveTail {
            start = try TailLocator.start(of: files, lines: tail, streams: options.streams)
        }
        for index in files.indices where index >= start.file && !pipeline.isSatisfied {
            guard let fd = try openLogFile(files[index]) else { continue }
            defer { closeFD(fd) }
            if index == start.file && start.offset > 0 {
                try sys("lseek", files[index].quoted) { lseek(fd, off_t(start.offset), SEEK_SET) }
            }
            var reader = RecordReader()
            try reader.readToEnd(fd: fd, name: files[index], into: &pipeline)
            reader.finishFile(into: &pipeline)
        }
        pipeline.flushPartials()
        return pipeline.takeOutput()
    }

    /// `kubectl logs -f`: the selected lines so far, then new ones as they are written, across
    /// rotations. The sequence ends once `isFinished` returned true (the container exited and
    /// its monitor closed the log) and everything written before that was delivered, when the
    /// byte limit is reached, or when the consuming task is cancelled. It checks for new lines
    /// every `pollInterval`.
    public func follow(
        _ options: LogOptions = LogOptions(), pollInterval: Duration = .milliseconds(100),
        isFinished: @escaping @Sendable () async -> Bool
    ) -> LogFollow {
        LogFollow(path: path, options: options, pollInterval: pollInterval, isFinished: isFinished)
    }
}
