import HummingbirdWebSocket
import Logging
import NIOCore
import NIOPosix

/// One `kubectl port-forward` connection: the SPDY/3 session tunnelled in websocket binary
/// messages. Each pair of `error` and `data` streams with the same `requestID` becomes one TCP
/// connection to the pod's port, made by the backend inside the pod's network namespace; its
/// bytes go both ways on the data stream. A failure (nobody listens on the port) is written on
/// that pair's error stream and ends that pair only, as kubelet does; the session and its other
/// streams carry on.
struct PortForwardTunnel: Sendable {
    let namespace: String
    let pod: String
    let backend: any NodeAPIBackend
    let logger: Logger

    static let maximumMessageSize = 16 << 20
    /// The most pod bytes one DATA frame carries.
    static let chunkSize = 32 * 1024

    /// What the client sent on a data stream, for the task that owns the pod connection.
    enum Upload: Sendable {
        case bytes([UInt8])
        /// The client abandoned the stream (RST_STREAM): drop the connection both ways.
        case reset
    }

    /// Streams whose partner has not arrived yet, by request id.
    struct PendingPair {
        var error: UInt32?
        var data: UInt32?
        var port: UInt16
    }

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        let (frames, sink) = AsyncStream.makeStream(of: SPDYFrame.self)
        await withTaskGroup(of: Void.self) { group in
            // One writer, so frames (and the header compression they share) go out in order.
            group.addTask {
                var encoder = SPDYFrameEncoder()
                for await frame in frames {
                    // A failed write means kubectl is gone; the reader below ends too.
                    guard (try? await outbound.write(.binary(ByteBuffer(bytes: encoder.encode(frame))))) != nil else { return }
                }
            }
            var uploads: [UInt32: AsyncStream<Upload>.Continuation] = [:]
            defer {
                for upload in uploads.values { upload.finish() }
            }
            do {
                var decoder = SPDYFrameDecoder()
                var pending: [String: PendingPair] = [:]
                for try await message in inbound.messages(maxSize: Self.maximumMessageSize) {
                    guard case .binary(let buffer) = message else { continue }
                    decoder.append(buffer.readableBytesView)
                    while let frame = try decoder.next() {
                        switch frame {
                        case .synStream(let id, let headers, _):
                            guard let request = stream(id, headers, sink) else { continue }
                            sink.yield(.synReply(id: id, headers: [:], fin: false))
                            var pair = pending[request.requestID] ?? PendingPair(port: request.port)
                            if request.isData { pair.data = id } else { pair.error = id }
                            guard let error = pair.error, let data = pair.data else {
                                pending[request.requestID] = pair
                                continue
                            }
                            pending[request.requestID] = nil
                            let (stream, continuation) = AsyncStream.makeStream(of: Upload.self)
                            uploads[data] = continuation
                            group.addTask { await forward(port: pair.port, error: error, data: data, uploads: stream, sink) }
                        case .data(let id, let bytes, let fin):
                            if !bytes.isEmpty { uploads[id]?.yield(.bytes(bytes)) }
                            if fin { uploads.removeValue(forKey: id)?.finish() }
                        case .rstStream(let id, _):
                            if let upload = uploads.removeValue(forKey: id) {
                                upload.yield(.reset)
                                upload.finish()
                            }
                        case .ping(let id):
                            sink.yield(.ping(id: id))
                        case .goAway, .synReply, .ignored:
                            break
                        }
                    }
                }
            } catch {
                logger.debug("port-forward tunnel ended", metadata: ["pod": "\(namespace)/\(pod)", "error": "\(error)"])
            }
            // kubectl went away: every connection of this session ends with it.
            sink.finish()
            group.cancelAll()
        }
    }

    /// A stream's port and role, or nil after answering a malformed one with RST_STREAM.
    func stream(
        _ id: UInt32, _ headers: [String: String], _ sink: AsyncStream<SPDYFrame>.Continuation
    ) -> (port: UInt16, requestID: String, isData: Bool)? {
        let type = headers[PortForwardProtocol.streamTypeHeader]
        guard let portText = headers[PortForwardProtocol.portHeader], let port = UInt16(portText), port > 0,
            type == PortForwardProtocol.dataStream || type == PortForwardProtocol.errorStream
        else {
            logger.info("port-forward stream refused", metadata: ["pod": "\(namespace)/\(pod)", "headers": "\(headers)"])
            sink.yield(.rstStream(id: id, status: SPDYFrame.ResetStatus.protocolError))
            return nil
        }
        // Clients before requestID (Kubernetes 1.5) sent one pair at a time: the port alone pairs them.
        return (port, headers[PortForwardProtocol.requestIDHeader] ?? "port-\(port)", type == PortForwardProtocol.dataStream)
    }

    /// Connects to the pod's port and copies bytes both ways until both directions end or the
    /// client resets the data stream; a failure to connect goes on the error stream.
    func forward(
        port: UInt16, error errorStream: UInt32, data dataStream: UInt32, uploads: AsyncStream<Upload>, _ sink: AsyncStream<SPDYFrame>.Continuation
    ) async {
        let socket: ConnectedSocket
        do {
            socket = try await backend.portForward(namespace: namespace, pod: pod, port: port)
        } catch {
            let message = "error forwarding port \(port) to pod \(namespace)/\(pod): \(error)"
            logger.info("port-forward failed", metadata: ["pod": "\(namespace)/\(pod)", "port": "\(port)", "error": "\(error)"])
            sink.yield(.data(id: errorStream, bytes: Array(message.utf8), fin: true))
            sink.yield(.data(id: dataStream, bytes: [], fin: true))
            return
        }
        do {
            let connection = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelOption(.allowRemoteHalfClosure, value: true)
                .withConnectedSocket(socket.descriptor) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                            wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                    }
                }
            try await connection.executeThenClose { podBytes, podWriter in
                await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await upload in uploads {
                            switch upload {
                            case .bytes(let bytes):
                                try await podWriter.write(ByteBuffer(bytes: bytes))
                            case .reset:
                                // Also ends the reader below.
                                try? await connection.channel.close()
                                return
                            }
                        }
                        // The client's FIN: the pod reads end-of-file, and may still answer.
                        podWriter.finish()
                    }
                    do {
                        for try await buffer in podBytes {
                            var buffer = buffer
                            while buffer.readableBytes > 0, let chunk = buffer.readBytes(length: min(buffer.readableBytes, Self.chunkSize)) {
                                sink.yield(.data(id: dataStream, bytes: chunk, fin: false))
                            }
                        }
                    } catch {
                        logger.debug("port-forward connection closed", metadata: ["pod": "\(namespace)/\(pod)", "error": "\(error)"])
                    }
                    // The pod closed its side: so does the data stream, and nothing is left to
                    // report on the error stream (kubectl waits for its end).
                    sink.yield(.data(id: dataStream, bytes: [], fin: true))
                    sink.yield(.data(id: errorStream, bytes: [], fin: true))
                    // Both streams are finished: a failed write to the pod has nothing left to tell.
                    _ = try? await group.next()
                }
            }
        } catch {
            logger.debug("port-forward connection failed", metadata: ["pod": "\(namespace)/\(pod)", "error": "\(error)"])
            sink.yield(.rstStream(id: dataStream, status: SPDYFrame.ResetStatus.cancel))
            sink.yield(.data(id: errorStream, bytes: [], fin: true))
        }
    }
}
