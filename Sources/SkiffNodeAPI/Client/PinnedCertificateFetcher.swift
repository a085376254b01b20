import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// Fetches an agent's certificate with (the first half of) one TLS handshake and accepts it only
/// if its SHA-256 matches the pin. The HTTP and websocket clients take a `TLSConfiguration`, which has no
/// place for a custom verification callback, so the fetched certificate then becomes their only
/// trust root.
enum PinnedCertificateFetcher {
    static func fetch(host: String, port: Int, sha256: String, timeout: TimeAmount = .seconds(10)) async throws -> NIOSSLCertificate {
        let captured = Mutex<NIOSSLCertificate?>(nil)
        let context = try NIOSSLContext(configuration: .makeClientConfiguration())
        let done = MultiThreadedEventLoopGroup.singleton.any().makePromise(of: Void.self)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(timeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let tls = try NIOSSLClientHandler(context: context, serverHostname: nil) { certificates, promise in
                            guard let leaf = certificates.first, let der = try? leaf.toDERBytes() else {
                                promise.succeed(.failed)
                                return
                            }
                            let fingerprint = AgentCertificate.fingerprint(der: der)
                            guard fingerprint == sha256 else {
                                promise.succeed(.failed)
                                done.fail(
                                    NodeAPIClientError.certificateMismatch(
                                        "the agent at \(host):\(port) presented a certificate with SHA-256 \(fingerprint), but its Node pins \(sha256)"))
                                return
                            }
                            captured.withLock { $0 = leaf }
                            promise.succeed(.certificateVerified)
                            // The certificate is all we came for.
                            done.succeed(())
                        }
                        try channel.pipeline.syncOperations.addHandler(tls)
                        try channel.pipeline.syncOperations.addHandler(HandshakeWatcher(done: done))
                    }
                }
                .connect(host: host, port: port).get()
        } catch {
            done.fail(error)
            throw NodeAPIClientError.unreachable("cannot connect to \(host):\(port): \(error)")
        }
        let timeoutTask = channel.eventLoop.scheduleTask(in: timeout) {
            done.fail(NodeAPIClientError.unreachable("TLS handshake with \(host):\(port) timed out"))
        }
        defer {
            timeoutTask.cancel()
            channel.close(promise: nil)
        }
        do {
            try await done.futureResult.get()
        } catch let error as NodeAPIClientError {
            throw error
        } catch {
            throw NodeAPIClientError.unreachable("TLS handshake with \(host):\(port) failed: \(error)")
        }
        guard let certificate = captured.withLock({ $0 }) else {
            throw NodeAPIClientError.unreachable("TLS handshake with \(host):\(port) ended without a certificate")
        }
        return certificate
    }
}

/// Fails `done` when the connection breaks before the certificate arrived.
private final class HandshakeWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    let done: EventLoopPromise<Void>

    init(done: EventLoopPromise<Void>) { self.done = done }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        done.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        done.fail(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }
}
