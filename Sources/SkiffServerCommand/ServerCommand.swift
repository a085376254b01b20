import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffAPIServer
import SkiffControlPlane
import SkiffEmbeddedEtcd
import SkiffStore
import SkiffSystemd

/// `skiff server`: the control plane (API server on its store, scheduler, controllers) in one process.
public struct ServerCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "server", abstract: "Run the Skiff control plane (Kubernetes API server on an embedded SQLite store, or etcd).",
        subcommands: [SnapshotCommand.self])

    @OptionGroup var dataDirectory: DataDirectoryOption
    var dataDir: String { dataDirectory.dataDir }

    @Option(help: "HTTPS port to listen on (0 picks a free port).")
    var port = 6443

    @Option(help: "Address to bind.")
    var bindAddress = "0.0.0.0"

    @Option(help: "Address clients use to reach this server (kubeconfig and certificate).")
    var advertiseAddress: String?

    @Option(help: "Use etcd v3 at this URL (http://HOST:PORT, via its JSON gateway) instead of the embedded SQLite store.")
    var datastoreEndpoint: String?

    @Flag(help: "Start a new HA cluster: run an embedded etcd member (Debian's etcd-server) with TLS from the cluster CA, which other servers --join.")
    var clusterInit = false

    @Option(help: "Join the HA cluster of the server at this URL (https://HOST:6443): add an etcd member here and share its CA and tokens.")
    var join: String?

    @Option(help: "With --join: the cluster's server token (the first server's DATA-DIR/server-token).")
    var tokenFile: String?

    @Flag(help: "With --join: run only an etcd member (a voter that serves no API), e.g. a third member beside two servers.")
    var etcdOnly = false

    @Option(help: "Port of the embedded etcd member's clients (--cluster-init, --join).")
    var etcdClientPort = 2379

    @Option(help: "Port of the embedded etcd member's peers (--cluster-init, --join).")
    var etcdPeerPort = 2380

    @Option(help: "IPv4 range each node's pod CIDR (a /24) is taken from.")
    var clusterCIDR = PodCIDRAllocator.defaultClusterCIDR

    @Option(help: "Terminated pods kept before the oldest are deleted (0 keeps them all).")
    var terminatedPodGcThreshold = ControlPlane.defaultTerminatedPodGCThreshold

    @Option(help: "How long a node may go without a heartbeat before its conditions turn Unknown and its pods are no longer Ready.")
    var nodeMonitorGracePeriod = GoDurationArgument(ControlPlane.defaultNodeMonitorGracePeriod, text: "50s")

    @Option(help: "How often every node's heartbeat is checked.")
    var nodeMonitorPeriod = GoDurationArgument(ControlPlane.defaultNodeMonitorPeriod, text: "5s")

    @Option(help: "Seconds a pod created without its own toleration stays on a node whose Ready condition is False.")
    var defaultNotReadyTolerationSeconds = DefaultTolerationSeconds.defaultSeconds

    @Option(help: "Seconds a pod created without its own toleration stays on a node that stopped reporting.")
    var defaultUnreachableTolerationSeconds = DefaultTolerationSeconds.defaultSeconds

    @Option(help: "How long another server waits, after the leader's last renewal, before taking its lease (and the scheduler and controllers).")
    var leaderElectLeaseDuration = GoDurationArgument(.seconds(15), text: "15s")

    @Option(help: "How long the leader keeps trying to renew its lease before it stops leading (and the process exits).")
    var leaderElectRenewDeadline = GoDurationArgument(.seconds(10), text: "10s")

    @Option(help: "How often candidates try to take the lease and the leader renews it.")
    var leaderElectRetryPeriod = GoDurationArgument(.seconds(2), text: "2s")

    @Option(help: "Agent requests served at once; more are answered 429 with Retry-After (0: no limit).")
    var maxRequestsInflight = RequestLimit.defaultMaxInFlight

    @Option(help: "Save a snapshot of the SQLite store at the times of this cron schedule (UTC), e.g. \"0 */12 * * *\".")
    var snapshotSchedule: String?

    @Option(help: "Scheduled snapshots kept (the oldest beyond are deleted).")
    var snapshotRetain = 5

    @Option(help: "Log level (trace, debug, info, notice, warning, error, critical).")
    var logLevel = "info"

    public init() {}

    public func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard !dataDir.isEmpty else { throw ValidationError("--data-dir must not be empty") }
        do { _ = try PodCIDRAllocator(clusterCIDR: clusterCIDR) } catch { throw ValidationError("--cluster-cidr: \(error)") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level \(logLevel) is not a level") }
        guard nodeMonitorPeriod.duration > .zero else { throw ValidationError("--node-monitor-period must be positive") }
        guard nodeMonitorGracePeriod.duration > nodeMonitorPeriod.duration else {
            throw ValidationError("--node-monitor-grace-period must be longer than --node-monitor-period")
        }
        guard leaderElectLeaseDuration.duration > leaderElectRenewDeadline.duration,
            leaderElectRenewDeadline.duration > leaderElectRetryPeriod.duration, leaderElectRetryPeriod.duration > .zero
        else {
            throw ValidationError("leader election needs --leader-elect-lease-duration > --leader-elect-renew-deadline > --leader-elect-retry-period > 0")
        }
        if let snapshotSchedule {
            do { _ = try CronSchedule(parsing: snapshotSchedule) } catch { throw ValidationError("--snapshot-schedule: \(error)") }
            guard datastoreEndpoint == nil else {
                throw ValidationError("--snapshot-schedule snapshots the SQLite store or an embedded etcd member; with --datastore-endpoint use etcd's own")
            }
        }
        guard snapshotRetain >= 1 else { throw ValidationError("--snapshot-retain must be at least 1") }
        guard maxRequestsInflight >= 0 else { throw ValidationError("--max-requests-inflight must not be negative") }
        try validateEmbeddedEtcd()
        guard defaultNotReadyTolerationSeconds >= 0, defaultUnreachableTolerationSeconds >= 0 else {
            throw ValidationError("--default-not-ready-toleration-seconds and --default-unreachable-toleration-seconds must not be negative")
        }
    }

    /// `--snapshot-schedule`'s Service, if given: of the embedded etcd member at `etcdEndpoint`,
    /// or else of the SQLite store.
    func snapshotScheduleService(etcdEndpoint: String?, logger: Logger) throws -> [any Service] {
        guard let snapshotSchedule else { return [] }
        let source: SnapshotSchedule.Source =
            if let etcdEndpoint { .embeddedEtcd(dataDirectory: dataDir, endpoint: etcdEndpoint) } else { .sqlite(database: dataDir + "/state.db") }
        return [
            SnapshotSchedule(
                schedule: try CronSchedule(parsing: snapshotSchedule), retain: snapshotRetain, source: source, directory: dataDir + "/snapshots",
                logger: logger)
        ]
    }

    public func run() async throws {
        var logger = Logger(label: "skiff.server")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let lock = try DataDirectoryLock(directory: dataDir)
        defer { lock.release() }
        let sqlite: SQLiteStore?
        let store: any Store
        var configuration = APIServerConfiguration(
            dataDirectory: dataDir, bindAddress: bindAddress, port: port, advertiseAddress: advertiseAddress, clusterCIDR: clusterCIDR)
        var etcdMember: EtcdMemberProcess?
        // The local member's client URL (EmbeddedEtcd lists it first), which scheduled snapshots use.
        var etcdEndpoint: String?
        if let role = try embeddedEtcdRole() {
            let started = try await startEmbeddedEtcd(role: role, logger: logger)
            etcdMember = started.member
            etcdEndpoint = started.endpoints.first
            if etcdOnly {
                let services: [any Service] = [started.member] + (try snapshotScheduleService(etcdEndpoint: etcdEndpoint, logger: logger))
                let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
                try await group.run()
                return
            }
            store = try EtcdStore(endpoints: started.endpoints, tls: started.tls)
            sqlite = nil
            try await waitForQuorum(store, logger: logger)
            configuration.clusterJoin = ClusterJoinHandler(
                dataDirectory: dataDir, cluster: try EtcdCluster(endpoints: started.endpoints, tls: started.tls), logger: logger
            ).endpoint(caCertificatePEM: started.caCertificatePEM, token: started.token)
        } else if let datastoreEndpoint {
            store = try EtcdStore(endpoint: datastoreEndpoint)
            sqlite = nil
        } else {
            let file = try SQLiteStore(path: dataDir + "/state.db")
            store = file
            sqlite = file
        }
        let readiness = SystemdReadiness(
            notifier: try SystemdNotifier.fromProcessEnvironment(), kubeconfig: dataDir + "/admin.kubeconfig", logger: logger)
        configuration.maxRequestsInFlight = maxRequestsInflight
        configuration.defaultTolerationSeconds = DefaultTolerationSeconds(
            notReady: defaultNotReadyTolerationSeconds, unreachable: defaultUnreachableTolerationSeconds)
        var election = ControlPlane.LeaderElection(name: ControlPlane.leaseName, identity: "")
        election.leaseDuration = leaderElectLeaseDuration.duration
        election.renewDeadline = leaderElectRenewDeadline.duration
        election.retryPeriod = leaderElectRetryPeriod.duration
        let controlPlane = try await ControlPlane.make(
            configuration: configuration, store: store, logger: logger, terminatedPodGCThreshold: terminatedPodGcThreshold,
            nodeMonitorGracePeriod: nodeMonitorGracePeriod.duration, nodeMonitorPeriod: nodeMonitorPeriod.duration, leaderElection: election)
        // The member goes first: a ServiceGroup stops its services in reverse order, so etcd
        // stops after the API server and the controllers that use it.
        let services: [any Service] =
            (etcdMember.map { [$0] } ?? []) + controlPlane.services + [readiness]
            + (try snapshotScheduleService(etcdEndpoint: etcdEndpoint, logger: logger))
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        sqlite?.closeWatches()
    }
}
