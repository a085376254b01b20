import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffCgroups
import SkiffClient
import SkiffImages
import SkiffNodeAPI
import SkiffOCI
import SkiffSystem
import SkiffSystemd

/// `skiff agent`: registers the node, then runs its pods until told to stop. Stopping the agent
/// never stops pods — they and their monitors keep running, and the next agent re-adopts them.
public final class Agent: Service {
    let configuration: AgentConfiguration
    let logger: Logger

    public init(configuration: AgentConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        let configuration = configuration
        for directory in [
            configuration.dataDirectory, configuration.containersDirectory, configuration.podsDirectory,
            configuration.imagesDirectory, configuration.sandboxRuntimeDirectory, configuration.runtimeRoot,
            configuration.podLogDirectory,
        ] {
            _ = try FileSystem.makeDirectories(directory, mode: 0o711)
        }
        // A pull or import killed with the previous agent left only temporaries: remove them.
        try await blocking { try ImageStore(root: configuration.imagesDirectory).removeLeftovers() }
        let hierarchy = try CgroupHierarchy.detect()
        let facts = HostFacts.read(dataDirectory: configuration.dataDirectory, nodeIP: configuration.nodeIP)
        if let floor = facts.oomScoreFloor {
            logger.notice("no CAP_SYS_RESOURCE: containers get oom_score_adj no lower than the agent's own", metadata: ["floor": "\(floor)"])
        }
        let template = try await Self.runtimeDefaultSpec(runtimePath: configuration.runtimePath, scratch: configuration.dataDirectory)
        let client = try APIClient(
            servers: configuration.servers, caCertificatePEM: configuration.caCertificatePEM,
            joinToken: configuration.joinToken, nodeName: configuration.nodeName, logger: logger)
        let runtime = LateBound<AgentNodeBackend.AgentRuntime>()
        let nodeAPI = try NodeAPIServer(
            configuration: NodeAPIConfiguration(
                port: configuration.nodeAPIPort, certificateDirectory: configuration.dataDirectory + "/pki",
                hostnames: [facts.hostname, configuration.nodeName], addresses: [facts.internalIP, "127.0.0.1"],
                credential: client.credential),
            backend: AgentNodeBackend(runtime: runtime), logger: logger)

        let recorder = EventRecorder(component: "kubelet", writer: client, logger: logger)
        let managerBox = LateBound<PodManager>()
        let exitWatcher = try ExitWatcher { id in await managerBox.value?.containerExited(id: id) }
        let session = NodeSession(
            configuration: configuration, client: client, nodeAPI: nodeAPI, runtime: runtime, facts: facts, hierarchy: hierarchy,
            template: template, recorder: recorder, exitWatcher: exitWatcher, managerBox: managerBox, logger: logger)
        // Shut down in reverse: the pod loops first, the node API, exit watching, and the events
        // they recorded last.
        let group = ServiceGroup(configuration: .init(services: [recorder, exitWatcher, nodeAPI, session], logger: logger))
        do {
            try await group.run()
        } catch {
            logger.error("agent failed", metadata: ["error": "\(error)"])
            await client.shutdown()
            throw error
        }
        logger.info("agent stopped; pods keep running")
        await client.shutdown()
    }

    /// Tells systemd (Type=notify) the node is registered and pods are being served.
    static func notifySystemd(logger: Logger) {
        do {
            try SystemdNotifier.fromProcessEnvironment().ready(status: "node registered; running pods")
        } catch {
            logger.warning("sd_notify failed", metadata: ["error": "\(error)"])
        }
    }

    /// skiff-runc's own default config.json: the base every container's config starts from.
    static func runtimeDefaultSpec(runtimePath: String, scratch: String) async throws -> RuntimeSpec {
        try await blocking {
            let directory = scratch + "/spec-template"
            try? FileSystem.removeTree(directory)
            _ = try FileSystem.makeDirectories(directory)
            defer { try? FileSystem.removeTree(directory) }
            let output = try Command.run(runtimePath, ["spec", "--bundle", directory])
            guard output.status == .exited(0) else {
                throw ContainerRuntimeError(reason: "RuntimeUnavailable", message: "\(runtimePath) spec failed: \(output.stderr)")
            }
            return try RuntimeSpec.decode(FileSystem.readBytes(directory + "/config.json"), what: "\(runtimePath) spec output")
        }
    }
}

/// The agent once its node API listens: registers the Node, takes back the pods a previous
/// agent ran, then runs the loops that keep them (heartbeat, pod source, stats, eviction, image GC) until graceful
/// shutdown, which leaves every pod running.
private struct NodeSession: Service {
    let configuration: AgentConfiguration
    let client: APIClient
    let nodeAPI: NodeAPIServer
    let runtime: LateBound<AgentNodeBackend.AgentRuntime>
    let facts: HostFacts
    let hierarchy: CgroupHierarchy
    let template: RuntimeSpec
    let recorder: EventRecorder
    let exitWatcher: ExitWatcher
    let managerBox: LateBound<PodManager>
    let logger: Logger

    func run() async throws {
        guard let loops = try await cancelWhenGracefulShutdown({ try await start() }) else { return }
        try await ServiceGroup(configuration: .init(services: loops, logger: logger)).run()
    }

    /// Registers and re-adopts; returns the loops to run, or nil when shut down meanwhile.
    private func start() async throws -> [any Service]? {
        let port = try await nodeAPI.listeningPort()
        let registrar = NodeRegistrar(
            client: client, configuration: configuration, facts: facts, nodeAPIPort: port,
            certificateSHA256: nodeAPI.certificateSHA256, logger: logger)
        let podCIDR = try await registrar.register()
        logger.info(
            "node registered", metadata: ["node": "\(configuration.nodeName)", "podCIDR": "\(podCIDR)", "ip": "\(facts.internalIP)", "nodeAPIPort": "\(port)"])

        let network = try await ClusterNetwork.prepare(
            configuration: configuration, client: client, podCIDR: podCIDR, nodeIP: facts.internalIP, recorder: recorder, logger: logger)
        let volumes = VolumeManager(client: client, podsDirectory: configuration.podsDirectory)
        let sandboxes = try CNISandboxes(configuration: configuration, podCIDR: podCIDR, mtu: network.podMTU, logger: logger)
        let savedPods = Set((try? FileSystem.listDirectory(configuration.podsDirectory)) ?? [])
        await sandboxes.cleanupStale(keeping: savedPods)
        let context = AgentContext(
            configuration: configuration,
            runtime: RuntimeDriver(runtimePath: configuration.runtimePath, runtimeRoot: configuration.runtimeRoot, monitorPath: configuration.monitorPath),
            sandboxes: sandboxes, images: ImageStoreProvider(configuration: configuration),
            volumes: volumes, environment: EnvironmentResolver(volumes: volumes),
            cgroups: PodCgroups(hierarchy: hierarchy, root: configuration.cgroupRoot, memoryCapacity: facts.memoryBytes, oomScoreFloor: facts.oomScoreFloor),
            status: APIStatusSink(client: client, recorder: recorder, nodeName: configuration.nodeName, logger: logger),
            specBuilder: ContainerSpecBuilder(template: template), exits: exitWatcher,
            hostIP: facts.internalIP, logger: logger)
        let manager = PodManager(context: context)
        managerBox.value = manager
        await manager.restore()
        let stats = StatsCollector(context: context, manager: manager, hierarchy: hierarchy)
        runtime.value = AgentNodeBackend.AgentRuntime(context: context, manager: manager, stats: stats)
        Agent.notifySystemd(logger: logger)
        let eviction = EvictionManager(
            configuration: configuration.eviction, host: AgentEvictionHost(stats: stats, manager: manager, registrar: registrar), logger: logger)
        let imageCollector = ImageGarbageCollector(
            policy: configuration.imageGC,
            host: AgentImageGCHost(
                store: ImageStore(root: configuration.imagesDirectory), manager: manager, recorder: recorder, nodeName: configuration.nodeName,
                logger: logger),
            logger: logger)
        return [
            NodeHeartbeat(registrar: registrar),
            PodSource(client: client, nodeName: configuration.nodeName, manager: manager, logger: logger),
            StatsHousekeeping(collector: stats),
            ProjectedTokenRefresher(volumes: volumes, logger: logger),
            eviction,
            imageCollector,
        ] + network.services
    }
}
