import Hummingbird
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle

/// The agent's HTTPS API, kubelet's port 10250: container logs, exec over websocket, stats and
/// metrics, the pod list. Only the node's own credential is accepted; the API server is the only
/// caller. Run it in the agent's ServiceGroup; it stops on graceful shutdown.
public final class NodeAPIServer: Service, Sendable {
    public let configuration: NodeAPIConfiguration
    /// The serving certificate; publish `certificate.sha256` in the Node annotation
    /// `AgentCertificate.annotation` so the API server can pin it.
    public let certificate: AgentCertificate
    let backend: any NodeAPIBackend
    let logger: Logger
    let port = ListeningPort()

    /// Loads or creates the certificate at once (so its fingerprint is known before `run`).
    public init(configuration: NodeAPIConfiguration, backend: any NodeAPIBackend, logger: Logger = Logger(label: "skiff.nodeapi")) throws {
        self.configuration = configuration
        self.backend = backend
        self.logger = logger
        certificate = try AgentCertificate.loadOrCreate(
            directory: configuration.certificateDirectory, hostnames: configuration.hostnames, addresses: configuration.addresses)
    }

    /// Hex SHA-256 of the serving certificate's DER.
    public var certificateSHA256: String { certificate.sha256 }

    public func run() async throws {
        do {
            let tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(certificate.certificatePEM.utf8)).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(certificate.privateKeyPEM.utf8), format: .pem)))
            let routes = NodeAPIRoutes(backend: backend, credential: configuration.credential, logger: logger)
            let exec = ExecUpgrade(backend: backend, credential: configuration.credential, logger: logger)
            let application = Application(
                router: routes.router(),
                server: try .tls(
                    .http1WebSocketUpgrade(
                        configuration: .init(ws: .init(maxFrameSize: ExecSessionRelay.maximumMessageSize)), shouldUpgrade: exec.shouldUpgrade),
                    tlsConfiguration: tls),
                configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
                onServerRunning: { [port, logger] channel in
                    let bound = channel.localAddress?.port ?? 0
                    logger.info("node API listening", metadata: ["port": "\(bound)"])
                    port.resolve(.success(bound))
                },
                logger: logger)
            // `run()`, not `runService()`: the latter installs its own SIGTERM handler, so on
            // `systemctl stop` the node API stopped by itself while the agent's group was still
            // shutting the pod loops down, and the group failed ("a service has finished
            // unexpectedly"), exiting 1. Shutdown comes from the agent's ServiceGroup alone.
            try await application.run()
        } catch {
            port.resolve(.failure(error))
            throw error
        }
        port.resolve(.failure(CancellationError()))
    }

    /// The port the server listens on, once it does (useful with port 0). Throws if `run` failed.
    public func listeningPort() async throws -> Int { try await port.value() }
}
