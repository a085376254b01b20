import SkiffNodeAPI
import SkiffSystem
import Synchronization

/// A backend with one pod `default/web` (containers `app`, `sidecar`) whose log and commands are
/// scripted; a followed log waits for `releaseFollow()` before its last line.
final class FakeBackend: NodeAPIBackend {
    static let summary = Array(#"{"node":{"nodeName":"testnode","cpu":{"usageNanoCores":1500000}}}"#.utf8)
    private let followGate = Mutex<[AsyncStream<Void>.Continuation]>([])
    let lastLogOptions = Mutex<LogOptions?>(nil)

    func releaseFollow() {
        for gate in followGate.withLock({ $0 }) { gate.finish() }
    }

    func logs(namespace: String, pod: String, container: String, options: LogOptions) async throws -> AsyncThrowingStream<[UInt8], any Error> {
        try check(namespace, pod, container)
        lastLogOptions.withLock { $0 = options }
        let (gate, gateContinuation) = AsyncStream<Void>.makeStream()
        followGate.withLock { $0.append(gateContinuation) }
        let follow = options.follow
        return AsyncThrowingStream { continuation in
            let producer = Task {
                continuation.yield(Array("line 1\n".utf8))
                if follow { for await _ in gate {} }
                continuation.yield(Array("line 2\n".utf8))
                continuation.finish()
            }
            continuation.onTermination = { _ in producer.cancel() }
        }
    }

    func exec(namespace: String, pod: String, container: String, command: [String], tty: Bool) async throws -> any ExecSession {
        try check(namespace, pod, container)
        switch command.first {
        case "echo": return FakeExecSession(stdout: command.dropFirst().joined(separator: " ") + "\n", exitCode: 0)
        case "fail": return FakeExecSession(stderr: "oops\n", exitCode: 3)
        case "cat": return FakeExecSession(echoesStdin: true)
        default: throw NodeAPIError.badRequest("no such command in the fake: \(command)")
        }
    }

    /// `app` was created with stdin (its process echoes it), `sidecar` without.
    func attach(namespace: String, pod: String, container: String, stdin: Bool) async throws -> any ExecSession {
        try check(namespace, pod, container)
        guard container == "app" else { throw NodeAPIError.badRequest("container \(container) was not created with stdin: true") }
        return FakeExecSession(stdout: "attached\n", echoesStdin: true)
    }

    /// The host's own loopback stands in for the pod's.
    func portForward(namespace: String, pod: String, port: UInt16) async throws -> ConnectedSocket {
        guard namespace == "default", pod == "web" else { throw NodeAPIError.notFound("pod \(namespace)/\(pod) is not on this node") }
        return ConnectedSocket(descriptor: try NamespacedConnect.loopback(networkNamespace: nil, port: port))
    }

    func statsSummary() async throws -> [UInt8] { Self.summary }
    func resourceMetrics() async throws -> [UInt8] { Array("container_cpu_usage_seconds_total 1\n".utf8) }
    func cadvisorMetrics() async throws -> [UInt8] { Array("container_memory_working_set_bytes 2\n".utf8) }
    func statsHistory(namespace: String, pod: String) async throws -> [UInt8] {
        guard namespace == "default", pod == "web" else { throw NodeAPIError.notFound("no history for pod \(namespace)/\(pod)") }
        return Array(#"{"namespace":"default","name":"web"}"#.utf8)
    }
    func pods() async throws -> [UInt8] { Array(#"{"kind":"PodList","apiVersion":"v1","items":[]}"#.utf8) }

    func check(_ namespace: String, _ pod: String, _ container: String) throws {
        guard namespace == "default", pod == "web" else { throw NodeAPIError.notFound("pod \(namespace)/\(pod) is not on this node") }
        guard ["app", "sidecar"].contains(container) else { throw NodeAPIError.notFound("container \(container) is not in pod \(namespace)/\(pod)") }
    }
}

/// A process that prints fixed output and exits, or (`echoesStdin`) copies stdin to stdout until
/// stdin closes.
final class FakeExecSession: ExecSession {
    let stdout: AsyncStream<[UInt8]>
    let stderr: AsyncStream<[UInt8]>
    private let stdoutSink: AsyncStream<[UInt8]>.Continuation
    private let stderrSink: AsyncStream<[UInt8]>.Continuation
    private let exit: AsyncStream<Int32>
    private let exitSink: AsyncStream<Int32>.Continuation
    let resizes = Mutex<[String]>([])

    init(stdout text: String = "", stderr errorText: String = "", exitCode: Int32? = nil, echoesStdin: Bool = false) {
        (stdout, stdoutSink) = AsyncStream.makeStream()
        (stderr, stderrSink) = AsyncStream.makeStream()
        (exit, exitSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        if !text.isEmpty { stdoutSink.yield(Array(text.utf8)) }
        if !errorText.isEmpty { stderrSink.yield(Array(errorText.utf8)) }
        if let exitCode, !echoesStdin { finish(exitCode) }
    }

    func finish(_ code: Int32) {
        stdoutSink.finish()
        stderrSink.finish()
        exitSink.yield(code)
        exitSink.finish()
    }

    func writeStdin(_ bytes: [UInt8]) async throws { stdoutSink.yield(bytes) }
    func closeStdin() async { finish(0) }
    func resize(width: UInt16, height: UInt16) async { resizes.withLock { $0.append("\(width)x\(height)") } }
    func wait() async -> Int32 {
        for await code in exit { return code }
        return 137
    }
    func terminate() async { finish(137) }
}
