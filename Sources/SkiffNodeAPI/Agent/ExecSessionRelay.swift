import HummingbirdWebSocket
import Logging
import NIOCore
import SkiffAPI
import Synchronization

/// Runs one exec session over a channel-protocol websocket: client frames to the process's stdin
/// and terminal size, its stdout/stderr back as frames, then the exit status on channel 3.
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
            session = try await backend.exec(
                namespace: request.namespace, pod: request.pod, container: request.container, command: request.command, tty: request.tty)
        } catch let error as NodeAPIError {
            let reason = if case .notFound = error { "NotFound" } else { "BadRequest" }
            try await send(ExecChannelProtocol.failureStatus(error.description, reason: reason, code: error.status), on: ExecChannelProtocol.error, outbound)
            return
        } catch {
            try await send(ExecChannelProtocol.failureStatus("\(error)"), on: ExecChannelProtocol.error, outbound)
            return
        }
        if !request.stdin { await session.closeStdin() }
        do {
            // As kubelet does: an empty frame on the first output channel tells the client the
            // streams are up.
            let first = request.stdout ? ExecChannelProtocol.stdout : request.stderr ? ExecChannelProtocol.stderr : ExecChannelProtocol.error
            try await outbound.write(.binary(Self.frame(first, [])))
            let exited = ExitFlag()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await readInput(inbound, session)
                    // The client went away (or closed) before the process ended: kill it.
                    if !exited.isSet { await session.terminate() }
                }
                async let stdoutDone: Void = pump(session.stdout, ExecChannelProtocol.stdout, enabled: request.stdout, outbound)
                async let stderrDone: Void = pump(session.stderr, ExecChannelProtocol.stderr, enabled: request.stderr, outbound)
                let code = await session.wait()
                exited.set()
                // All output before the status: the client stops reading once it has it.
                try await stdoutDone
                try await stderrDone
                try await send(ExecChannelProtocol.exitStatus(code: code, command: request.command), on: ExecChannelProtocol.error, outbound)
                // Start the close handshake ourselves: the client's answering close frame ends
                // the input reader. (Cancelling a task blocked on inbound frames is not reliable.)
                try await outbound.close(.normalClosure, reason: nil)
                group.addTask { try await Task.sleep(for: Self.closeTimeout) }
                _ = try await group.next()
                group.cancelAll()
            }
        } catch {
            logger.debug("exec stream ended early", metadata: ["pod": "\(request.namespace)/\(request.pod)", "error": "\(error)"])
            await session.terminate()
            throw error
        }
    }

    /// Client frames: stdin data, resize, and (v5) the close of stdin, until the client closes.
    func readInput(_ inbound: WebSocketInboundStream, _ session: any ExecSession) async throws {
        do {
            for try await message in inbound.messages(maxSize: Self.maximumMessageSize) {
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
        } catch where Task.isCancelled {
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

/// Set once the process has exited, read by the input reader when the client goes away.
final class ExitFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
