import HummingbirdWebSocket
import Logging
import NIOCore
import SkiffAPI
import Synchronization

/// Runs one exec or attach session over a channel-protocol websocket: client frames to the
/// process's stdin and terminal size, its stdout/stderr back as frames, then the exit status on
/// channel 3 (attach: Success once the container's output ended, as kubelet writes it).
struct ExecSessionRelay: Sendable {
    let request: ExecRequest
    let backend: any NodeAPIBackend
    /// v5: the client closes stdin with `[255, 0]`.
    let closeStreams: Bool
    let logger: Logger

    static let maximumMessageSize = 16 << 20
    /// How long to wait for the client's answer to our close frame.
    static let closeTimeout: Duration = .seconds(5)

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        let session: any ExecSession
        do {
            switch request.kind {
            case .exec:
                session = try await backend.exec(
                    namespace: request.namespace, pod: request.pod, container: request.container, command: request.command, tty: request.tty)
            case .attach:
                session = try await backend.attach(namespace: request.namespace, pod: request.pod, container: request.container, stdin: request.stdin)
            }
        } catch let error as NodeAPIError {
            let reason = if case .notFound = error { "NotFound" } else { "BadRequest" }
            try await sendFailure(ExecChannelProtocol.failureStatus(error.description, reason: reason, code: error.status), outbound)
            return
        } catch {
            try await sendFailure(ExecChannelProtocol.failureStatus("\(error)"), outbound)
            return
        }
        if !request.stdin { await session.closeStdin() }
        do {
            let exited = OnceFlag()
            let clientSpoke = OnceFlag()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await readInput(inbound, session, firstFrame: clientSpoke)
                    // The client went away (or closed) before the process ended: kill it.
                    if !exited.isSet { await session.terminate() }
                }
                // Nothing goes out before the client's first frame (the server's relay sends an
                // empty stdin frame at once), or a second at most: a frame that reaches the
                // server's websocket client in the same read as the 101 response is lost there
                // under load, and that exec then hung with the connection half closed.
                for _ in 0..<100 where !clientSpoke.isSet {
                    try await Task.sleep(for: .milliseconds(10))
                }
                // As kubelet does: an empty frame on the first output channel tells the client the
                // streams are up.
                let first = request.stdout ? ExecChannelProtocol.stdout : request.stderr ? ExecChannelProtocol.stderr : ExecChannelProtocol.error
                try await outbound.write(.binary(Self.frame(first, [])))
                async let stdoutDone: Void = pump(session.stdout, ExecChannelProtocol.stdout, enabled: request.stdout, outbound)
                async let stderrDone: Void = pump(session.stderr, ExecChannelProtocol.stderr, enabled: request.stderr, outbound)
                let code = await session.wait()
                exited.set()
                // All output before the status: the client stops reading once it has it.
                try await stdoutDone
                try await stderrDone
                let status = request.kind == .exec ? ExecChannelProtocol.exitStatus(code: code, command: request.command) : ExecChannelProtocol.success
                try await send(status, on: ExecChannelProtocol.error, outbound)
                // Start the close handshake ourselves: the client's answering close frame ends
                // the input reader. (Cancelling a task blocked on inbound frames is not reliable.)
                try await outbound.close(.normalClosure, reason: nil)
                group.addTask { try await Task.sleep(for: Self.closeTimeout) }
                _ = try await group.next()
                group.cancelAll()
            }
        } catch {
            logger.debug("\(request.kind.rawValue) stream ended early", metadata: ["pod": "\(request.namespace)/\(request.pod)", "error": "\(error)"])
            await session.terminate()
            throw error
        }
    }

    /// The failure status, a moment after the upgrade (see `run`: a frame arriving with the 101
    /// response can be lost by the client). Only `run`'s reader may iterate the inbound stream,
    /// so this path waits instead of listening for the client's first frame.
    func sendFailure(_ status: JSON, _ outbound: WebSocketOutboundWriter) async throws {
        try await Task.sleep(for: .milliseconds(200))
        try await send(status, on: ExecChannelProtocol.error, outbound)
    }

    /// Client frames: stdin data, resize, and (v5) the close of stdin, until the client closes.
    func readInput(_ inbound: WebSocketInboundStream, _ session: any ExecSession, firstFrame: OnceFlag) async throws {
        do {
            for try await message in inbound.messages(maxSize: Self.maximumMessageSize) {
                firstFrame.set()
                guard case .binary(var buffer) = message, let channel = buffer.readInteger(as: UInt8.self) else { continue }
                let payload = buffer.readBytes(length: buffer.readableBytes) ?? []
                switch channel {
                case ExecChannelProtocol.stdin where !payload.isEmpty:
                    // The process may have closed its stdin already; its output and status still matter.
                    try? await session.writeStdin(payload)
                case ExecChannelProtocol.resize:
                    if let size = ExecChannelProtocol.parseResize(payload) { await session.resize(width: size.width, height: size.height) }
                case ExecChannelProtocol.close where closeStreams && payload.first == ExecChannelProtocol.stdin:
                    await session.closeStdin()
                default:
                    break
                }
            }
        } catch  where Task.isCancelled {
            return
        }
    }

    func pump(_ stream: AsyncStream<[UInt8]>, _ channel: UInt8, enabled: Bool, _ outbound: WebSocketOutboundWriter) async throws {
        for await chunk in stream where enabled && !chunk.isEmpty {
            try await outbound.write(.binary(Self.frame(channel, chunk)))
        }
    }

    func send(_ status: JSON, on channel: UInt8, _ outbound: WebSocketOutboundWriter) async throws {
        try await outbound.write(.binary(Self.frame(channel, status.bytes)))
    }

    static func frame(_ channel: UInt8, _ payload: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(payload.count + 1)
        buffer.writeInteger(channel)
        buffer.writeBytes(payload)
        return buffer
    }
}

/// A flag set once from one task and read from others (the process exited; the client spoke).
final class OnceFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
