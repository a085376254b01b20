import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import SkiffAPI
import SkiffStore

/// Assembles the API server: PKI, tokens, default objects, and the HTTPS application. Its
/// `services` (the HTTPS listener and the API's own housekeeping) go into the process's
/// ServiceGroup, where the control plane puts the scheduler and the controllers after them.
public struct APIServer: Sendable {
    public let api: KubeAPI
    public let services: [any Service]
    public let credentials: Credentials
    /// The port the listener bound, once it runs.
    public let servingPort: ServingPort
    /// The cluster CA's certificate, which pods trust the API with (`kube-root-ca.crt`).
    public let caCertificatePEM: String

    /// The event loops that run TLS and HTTP, shared by every server in the process: half the
    /// cores. The handlers run on Swift's task pool, which takes every core; on a 2-core host,
    /// two loops as well made five busy threads where one loop made four, and the API bench's
    /// create p99 fell from a median of 19 ms to 17 (docs/performance.md).
    static let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: max(1, System.coreCount / 2))

    public static func make(configuration: APIServerConfiguration, store: any Store, logger: Logger) async throws -> APIServer {
        let directory = configuration.dataDirectory
        let pki = try ClusterPKI.loadOrCreate(directory: directory + "/pki", hostnames: [configuration.advertiseAddress ?? ""])
        let credentials = try Credentials.loadOrCreate(directory: directory)
        var api = KubeAPI(
            store: store, authenticator: Authenticator(adminToken: credentials.adminToken, joinToken: credentials.joinToken),
            podCIDRAllocator: try PodCIDRAllocator(clusterCIDR: configuration.clusterCIDR), logger: logger)
        api.defaultTolerationSeconds = configuration.defaultTolerationSeconds
        api.requestLimit = RequestLimit(maxInFlight: configuration.maxRequestsInFlight)
        api.clusterJoin = configuration.clusterJoin
        api.watchCache = WatchCache(enabled: configuration.watchCache)
        api.serviceAccountAdmission = configuration.serviceAccountAdmission
        api.authenticator.serviceAccounts.use(try ServiceAccountIssuer.loadOrCreate(pkiDirectory: directory + "/pki"))
        try await Bootstrap.ensureDefaults(api)
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(pki.serverCertificatePEM.utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(pki.serverKeyPEM.utf8), format: .pem)))
        // Users present client certificates the cluster CA signed; agents and token holders
        // present none, so a certificate is optional, but one that is presented must verify.
        tls.certificateVerification = .optionalVerification
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(pki.caCertificatePEM.utf8)))
        let adminCertificate = try ClusterPKI.issueClientCertificate(
            directory: directory + "/pki", user: UserInfo.admin.name, groups: [UserInfo.mastersGroup])
        let advertised = configuration.advertiseAddress ?? "127.0.0.1"
        let servingPort = ServingPort()
        let relay = ExecWebSocketRelay(api: api)
        let serverTLS = tls
        let application = Application(
            responder: HummingbirdAdapter(api: api),
            // Plain HTTP/1.1, plus the websocket upgrades `kubectl exec`, `attach` and
            // `port-forward` ask for; other upgrades (SPDY) become plain requests KubeAPI answers.
            server: HTTPServerBuilder { responder in
                try TLSChannel(
                    DeclinedUpgradeChannel(
                        base: HTTP1WebSocketUpgradeChannel(
                            responder: responder, configuration: .init(ws: .init(maxFrameSize: ExecWebSocketRelay.maximumMessageSize)),
                            shouldUpgrade: relay.shouldUpgrade)),
                    tlsConfiguration: serverTLS)
            },
            configuration: .init(address: .hostname(configuration.bindAddress, port: configuration.port), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? configuration.port
                servingPort.bound(to: port)
                do {
                    try Kubeconfig.write(
                        Kubeconfig.make(
                            server: "https://\(advertised):\(port)", caPEM: pki.caCertificatePEM, user: "admin",
                            credential: .clientCertificate(certificatePEM: adminCertificate.certificatePEM, keyPEM: adminCertificate.keyPEM)),
                        to: directory + "/admin.kubeconfig")
                    logger.info(
                        "skiff server ready",
                        metadata: [
                            "url": "https://\(advertised):\(port)", "kubeconfig": "\(directory)/admin.kubeconfig",
                            "join": "skiff agent --server https://\(advertised):\(port) --token-file \(directory)/node-token",
                        ])
                } catch {
                    logger.error("could not write admin.kubeconfig", metadata: ["error": "\(error)"])
                }
            },
            eventLoopGroupProvider: .shared(Self.eventLoops),
            logger: logger)
        return APIServer(
            api: api,
            services: [
                // The watch cache starts before the listener and stops after it has let its watches go.
                WatchCacheService(cache: api.watchCache, store: store, logger: logger),
                NamespaceCacheService(api: api, logger: logger), RBACAuthorizerService(api: api, logger: logger), PodCIDRTracker(api: api, logger: logger),
                BoundObjectCacheService(api: api, logger: logger),
                application,
                Compactor(store: store, logger: logger),
            ],
            credentials: credentials, servingPort: servingPort, caCertificatePEM: pki.caCertificatePEM)
    }
}
