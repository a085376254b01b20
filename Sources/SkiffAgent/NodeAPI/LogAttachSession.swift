import SkiffLogs
import SkiffNodeAPI

/// `kubectl attach` to a container created without stdin or tty. The kubelet streams such a
/// container's output from the moment of attach; its monitor keeps no attach socket (that costs
/// descriptors in every container), so the output comes from the container's CRI log followed
/// from its end, stdout and stderr on their own channels, until the container exits or the
/// client leaves.
final class LogAttachSession: ExecSession {
    let stdout: AsyncStream<[UInt8]>
    let stderr: AsyncStream<[UInt8]>
    private let following: Task<Void, Never>

    /// Follows `log` from its end; `isFinished` says when the container this log is for has
    /// exited (as for `kubectl logs -f`).
    static func start(log: ContainerLog, isFinished: @escaping @Sendable () async -> Bool) -> LogAttachSession {
        let (stdout, stdoutSink) = AsyncStream.makeStream(of: [UInt8].self)
        let (stderr, stderrSink) = AsyncStream.makeStream(of: [UInt8].self)
        let following = Task {
            await withDiscardingTaskGroup { group in
                for (filter, sink) in [(LogStreamFilter.stdout, stdoutSink), (.stderr, stderrSink)] {
                    group.addTask {
                        // A log that cannot be read ends the stream; attach has no other way to say so.
                        try? await {
                            for try await chunk in log.follow(LogOptions(tailLines: 0, streams: filter), isFinished: isFinished) {
                                sink.yield(chunk)
                            }
                        }()
                        sink.finish()
                    }
                }
            }
        }
        return LogAttachSession(stdout: stdout, stderr: stderr, following: following)
    }

    private init(stdout: AsyncStream<[UInt8]>, stderr: AsyncStream<[UInt8]>, following: Task<Void, Never>) {
        self.stdout = stdout
        self.stderr = stderr
        self.following = following
    }

    /// Never called: a request with stdin for such a container is refused before it starts.
    func writeStdin(_ bytes: [UInt8]) async throws {
        throw NodeAPIError.badRequest("the container was not created with stdin: true")
    }

    func closeStdin() async {}
    func resize(width: UInt16, height: UInt16) async {}

    /// Returns once the container has exited and its last output was sent; attach has no exit
    /// code of its own.
    func wait() async -> Int32 {
        await following.value
        return 0
    }

    /// The client went away: stop following; the container runs on.
    func terminate() async { following.cancel() }
}
