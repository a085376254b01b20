import Glibc
import SkiffSystem

/// The chunks of `kubectl logs -f` output for one container; see `ContainerLog.follow`.
public struct LogFollow: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    let path: String
    let options: LogOptions
    let pollInterval: Duration
    let isFinished: @Sendable () async -> Bool

    public func makeAsyncIterator() -> Iterator {
        Iterator(state: FollowState(path: path, options: options), pollInterval: pollInterval, isFinished: isFinished)
    }

    /// Yields output chunks; ends (returns nil) when the log is finished, the limit is reached
    /// or the task is cancelled.
    public struct Iterator: AsyncIteratorProtocol {
        let state: FollowState
        let pollInterval: Duration
        let isFinished: @Sendable () async -> Bool

        public mutating func next() async throws -> [UInt8]? {
            if state.done { return nil }
            if !state.started {
                let first = try state.start()
                if !first.isEmpty { return first }
            }
            while !state.done {
                if Task.isCancelled || state.pipelineSatisfied {
                    state.finish()
                    return nil
                }
                // Asked before reading: whatever was written before the container finished is
                // read below, so ending after an empty read loses nothing.
                let finished = await isFinished()
                let chunk = try state.readNew()
                if !chunk.isEmpty { return chunk }
                if finished {
                    let rest = state.finishAndFlush()
                    return rest.isEmpty ? nil : rest
                }
                do {
                    try await Task.sleep(for: pollInterval)
                } catch {
                    state.finish()
                    return nil
                }
            }
            return nil
        }
    }
}

/// The follower's open file and pipeline; owned by one iterator, used from one task at a time.
final class FollowState {
    private let path: String
    private let options: LogOptions
    private var pipeline: LogPipeline
    private var reader = RecordReader()
    private var fd: Int32 = -1
    private var inode: ino_t = 0
    private(set) var started = false
    private(set) var done = false

    init(path: String, options: LogOptions) {
        self.path = path
        self.options = options
        self.pipeline = LogPipeline(options)
    }

    deinit { closeFD(fd) }

    var pipelineSatisfied: Bool { pipeline.isSatisfied }

    /// The part a plain read would show (tail, since), reading rotated files whole and keeping
    /// the current file open where it ended.
    func start() throws(SystemError) -> [UInt8] {
        started = true
        let files = LogFiles.paths(for: path)
        var start = TailLocator.Position(file: 0, offset: 0)
        if let tail = options.effectiveTail, !files.isEmpty {
            start = try TailLocator.start(of: files, lines: tail, streams: options.streams)
        }
        for index in files.indices where index >= start.file {
            guard let opened = try openLogFile(files[index]) else { continue }
            if index == start.file && start.offset > 0 {
                _ = lseek(opened, off_t(start.offset), SEEK_SET)
            }
            if files[index] == path {
                try adopt(opened)
                try reader.readToEnd(fd: fd, name: path, into: &pipeline)
            } else {
                defer { closeFD(opened) }
                try reader.readToEnd(fd: opened, name: files[index], into: &pipeline)
                reader.finishFile(into: &pipeline)
            }
        }
        pipeline.finishTail()
        return pipeline.takeOutput()
    }

    /// New lines since the last call. When FILE was rotated, the old file is read to its end
    /// first, then the new FILE from its start.
    func readNew() throws(SystemError) -> [UInt8] {
        if fd >= 0 { try reader.readToEnd(fd: fd, name: path, into: &pipeline) }
        var st = stat()
        if stat(path, &st) == 0 && (fd < 0 || st.st_ino != inode) {
            if fd >= 0 {
                try reader.readToEnd(fd: fd, name: path, into: &pipeline)
                reader.finishFile(into: &pipeline)
                closeFD(fd)
                fd = -1
            }
            if let opened = try openLogFile(path) {
                try adopt(opened)
                try reader.readToEnd(fd: fd, name: path, into: &pipeline)
            }
        }
        return pipeline.takeOutput()
    }

    func finishAndFlush() -> [UInt8] {
        reader.finishFile(into: &pipeline)
        pipeline.flushPartials()
        finish()
        return pipeline.takeOutput()
    }

    func finish() {
        done = true
        closeFD(fd)
        fd = -1
    }

    private func adopt(_ opened: Int32) throws(SystemError) {
        closeFD(fd)
        fd = opened
        var st = stat()
        try sys("fstat", path.quoted) { fstat(opened, &st) }
        inode = st.st_ino
    }
}
