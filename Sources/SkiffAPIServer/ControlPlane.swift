import Foundation
import Hummingbird
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import SkiffAPI
import SkiffScheduler
import SkiffStore

/// Settings of `skiff server`.
public struct ControlPlaneConfiguration: Sendable {
    public var dataDirectory: String
    public var bindAddress: String
    public var port: Int
    /// Host names or IPs (besides localhost) to put in the serving certificate and kubeconfig.
    public var advertiseAddress: String?
    /// The range nodes' pod CIDRs (one /24 each) come from.
    public var clusterCIDR: String

    public init(
        dataDirectory: String, bindAddress: String = "0.0.0.0", port: Int = 6443, advertiseAddress: String? = nil,
        clusterCIDR: String = PodCIDRAllocator.defaultClusterCIDR
    ) {
        self.clusterCIDR = clusterCIDR
        self.dataDirectory = dataDirectory
        self.bindAddress = bindAddress
        self.port = port
        self.advertiseAddress = advertiseAddress
    }
}

/// Assembles the API server: PKI, tokens, default objects, and the HTTPS application. Its
/// `services` go into the process's ServiceGroup.
public struct ControlPlane: Sendable {
    public let api: KubeAPI
    public let services: [any Service]
    public let credentials: Credentials

    /// The event loops that run TLS and HTTP, shared by every server in the process: half the
    /// cores. The handlers run on Swift's task pool, which takes every core; on a 2-core host,
    /// two loops as well made five busy threads where one loop made four, and the API bench's
    /// create p99 fell from a median of 19 ms to 17 (docs/performance.md).
    static let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: max(1, System.coreCount / 2))

    public static func make(configuration: ControlPlaneConfiguration, store: any Store, logger: Logger) async throws -> ControlPlane {
        let directory = configuration.dataDirectory
        let pki = try ClusterPKI.loadOrCreate(directory: directory + "/pki", hostnames: [configuration.advertiseAddress ?? ""])
        let credentials = try Credentials.loadOrCreate(directory: directory)
        let api = KubeAPI(
            store: store, authenticator: Authenticator(adminToken: credentials.adminToken, joinToken: credentials.joinToken),
            podCIDRAllocator: try PodCIDRAllocator(clusterCIDR: configuration.clusterCIDR), logger: logger)
        try await Bootstrap.ensureDefaults(api)
        let tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(pki.serverCertificatePEM.utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(pki.serverKeyPEM.utf8), format: .pem)))
        let advertised = configuration.advertiseAddress ?? "127.0.0.1"
        let application = Application(
            responder: HummingbirdAdapter(api: api),
            // Plain HTTP/1.1, plus the websocket upgrade `kubectl exec` asks for.
            server: try .tls(
                .http1WebSocketUpgrade(
                    configuration: .init(ws: .init(maxFrameSize: ExecWebSocketRelay.maximumMessageSize)),
                    shouldUpgrade: ExecWebSocketRelay(api: api).shouldUpgrade),
                tlsConfiguration: tls),
            configuration: .init(address: .hostname(configuration.bindAddress, port: configuration.port), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? configuration.port
                do {
                    try Kubeconfig.write(
                        to: directory + "/admin.kubeconfig", server: "https://\(advertised):\(port)", caPEM: pki.caCertificatePEM,
                        token: credentials.adminToken)
                    logger.info("skiff server ready", metadata: [
                        "url": "https://\(advertised):\(port)", "kubeconfig": "\(directory)/admin.kubeconfig",
                        "join": "skiff agent --server https://\(advertised):\(port) --token-file \(directory)/node-token",
                    ])
                } catch {
                    logger.error("could not write admin.kubeconfig", metadata: ["error": "\(error)"])
                }
            },
            eventLoopGroupProvider: .shared(Self.eventLoops),
            logger: logger)
        let scheduler = SchedulerService(client: InProcessSchedulerClient(api: api, token: credentials.adminToken), logger: logger)
        // ServiceGroup shuts services down in reverse order: the scheduler stops before the API.
        return ControlPlane(
            api: api,
            services: [
                NamespaceCacheService(api: api, logger: logger), application, Compactor(store: store, logger: logger),
                SchedulerRunner(scheduler: scheduler),
                GarbageCollector(api: api, logger: logger), NamespaceController(api: api, logger: logger),
                NodeIPAMController(api: api, logger: logger),
            ],
            credentials: credentials)
    }
}
