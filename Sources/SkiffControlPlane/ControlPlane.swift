import Foundation
import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffAPIServer
import SkiffClient
import SkiffControllers
import SkiffScheduler
import SkiffStore

/// The control plane of one `skiff server` process: the API server, the scheduler and the
/// controllers, as the services of its ServiceGroup. The API server library knows none of the
/// components beside it; this is where they meet (as kube-apiserver, kube-scheduler and
/// kube-controller-manager meet in a k3s server).
public struct ControlPlane: Sendable {
    public let api: KubeAPI
    public let services: [any Service]
    public let credentials: Credentials
    /// Whether this server leads (runs the scheduler and the controllers) now.
    public let elector: LeaderElector

    /// kube-controller-manager's `--terminated-pod-gc-threshold` default.
    public static let defaultTerminatedPodGCThreshold = PodGCController.defaultTerminatedPodThreshold
    /// kube-controller-manager's `--node-monitor-grace-period` and `--node-monitor-period` defaults.
    public static let defaultNodeMonitorGracePeriod = NodeLifecycleController.defaultGracePeriod
    public static let defaultNodeMonitorPeriod = NodeLifecycleController.defaultMonitorPeriod

    /// `terminatedPodGCThreshold` is kube-controller-manager's `--terminated-pod-gc-threshold`;
    /// `nodeMonitorGracePeriod` and `nodeMonitorPeriod` its `--node-monitor-grace-period` and
    /// `--node-monitor-period`; `leaderElection` its `--leader-elect-*` timings (an empty
    /// identity is made from the host name and the data dir).
    public static func make(
        configuration: APIServerConfiguration, store: any Store, logger: Logger,
        terminatedPodGCThreshold: Int = defaultTerminatedPodGCThreshold,
        nodeMonitorGracePeriod: Duration = defaultNodeMonitorGracePeriod, nodeMonitorPeriod: Duration = defaultNodeMonitorPeriod,
        leaderElection: LeaderElector.Configuration? = nil
    ) async throws -> ControlPlane {
        let server = try await APIServer.make(configuration: configuration, store: store, logger: logger)
        let api = server.api
        // Of several servers on one store, only the lease holder schedules and runs controllers
        // (and their informers and event recorder); every server serves the API. Each term of
        // leadership gets its own, made here.
        let makeLeading: @Sendable () -> [any Service] = {
            let scheduler = SchedulerService(client: InProcessSchedulerClient(api: api, token: server.credentials.adminToken), logger: logger)
            let context = ControllerContext(client: InProcessControllerClient(api: api), logger: logger)
            let client = context.client
            let informers = ServiceInformers(context.informers)
            // Controllers register their informers' handlers as they are made, before the informers run.
            let controllers: [any Service] = [
                EndpointSliceController(client: client, informers: informers, logger: logger),
                EndpointsController(client: client, informers: informers, logger: logger),
                ServiceLBController(client: client, services: informers.services, nodes: context.informers.nodes, logger: logger),
                HorizontalPodAutoscalerController(context: context),
                PersistentVolumeController(context: context),
                ReplicaSetController(context: context),
                DeploymentController(context: context),
                JobController(context: context),
                DaemonSetController(context: context),
                DisruptionController(context: context),
                StatefulSetController(context: context),
                CronJobController(context: context),
                NodeLifecycleController(context: context, gracePeriod: nodeMonitorGracePeriod, monitorPeriod: nodeMonitorPeriod),
                TaintEvictionController(context: context),
            ]
            // The garbage collector and the node IPAM controller follow their kinds through their
            // own informers (metadata of every kind; the Nodes' taints and conditions); pod GC shares
            // the pods and nodes ones.
            let lifecycleControllers: [any Service] =
                [
                    GarbageCollector(client: client, logger: logger), NamespaceController(client: client, logger: logger),
                    ServiceAccountsController(client: client, logger: logger),
                    RootCACertPublisher(client: client, caCertificatePEM: server.caCertificatePEM, logger: logger),
                    PodGCController(
                        client: client, pods: context.informers.pods, nodes: context.informers.nodes, logger: logger,
                        terminatedPodThreshold: terminatedPodGCThreshold),
                ] + [NodeIPAMController(client: client, clusterCIDR: configuration.clusterCIDR, logger: logger)].compactMap { $0 }
            return [SchedulerRunner(scheduler: scheduler), context.recorder] + context.informers.runnables + controllers + lifecycleControllers
        }
        let serverID = try Self.serverID(dataDirectory: configuration.dataDirectory)
        var election = leaderElection ?? LeaderElector.Configuration(name: Self.leaseName, identity: "")
        if election.identity.isEmpty { election.identity = Self.identity(serverID: serverID) }
        let elector = LeaderElector(
            client: InProcessControllerClient(api: api), configuration: election, logger: logger, makeLeading: makeLeading)
        // Every server, leader or not, keeps its own address in the `kubernetes` Service's
        // endpoints while it serves; listed last, it is the first to stop, while the API still answers.
        let endpoints = KubernetesServiceEndpoints(
            client: InProcessControllerClient(api: api), address: Self.endpointAddress(configuration), port: { await server.servingPort.wait() },
            id: serverID, identity: Self.identity(serverID: serverID), logger: logger)
        return ControlPlane(api: api, services: server.services + [elector, endpoints], credentials: server.credentials, elector: elector)
    }

    /// The Lease in kube-system the servers' control loops are elected by (kube-controller-manager's
    /// and kube-scheduler's in one, as k3s runs them).
    public static let leaseName = "skiff-controller-manager"

    /// The `--leader-elect-*` timings and the candidate's identity.
    public typealias LeaderElection = LeaderElector.Configuration

    /// `HOSTNAME_ID`, the ID made once per data dir: a restarted server is the same candidate and
    /// takes its own unexpired lease back at once; two servers never share a data dir.
    public static func identity(dataDirectory: String) throws -> String { identity(serverID: try serverID(dataDirectory: dataDirectory)) }

    static func identity(serverID: String) -> String { "\(ProcessInfo.processInfo.hostName)_\(serverID)" }

    /// The ID made once per data dir, kept in `server-id`.
    static func serverID(dataDirectory: String) throws -> String {
        let path = dataDirectory + "/server-id"
        let id: String
        if let saved = try? String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !saved.isEmpty {
            id = saved
        } else {
            id = UUID().uuidString.lowercased()
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
            try (id + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        }
        return id
    }

    /// The address the `kubernetes` Service's endpoints name: `--advertise-address` when it is an
    /// IPv4 address, else a specific `--bind-address`, else loopback (then only host-network
    /// clients can use the Service; set `--advertise-address` for pods).
    static func endpointAddress(_ configuration: APIServerConfiguration) -> String {
        func isIPv4(_ text: String) -> Bool {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
        }
        if let advertised = configuration.advertiseAddress, isIPv4(advertised) { return advertised }
        if isIPv4(configuration.bindAddress), configuration.bindAddress != "0.0.0.0" { return configuration.bindAddress }
        return "127.0.0.1"
    }
}
