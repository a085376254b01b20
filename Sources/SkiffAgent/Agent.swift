import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffCgroups
import SkiffNodeAPI
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
        for directory in [configuration.dataDirectory, configuration.containersDirectory, configuration.podsDirectory,
                          configuration.imagesDirectory, configuration.sandboxRuntimeDirectory, configuration.runtimeRoot,
                          configuration.podLogDirectory] {
            _ = try FileSystem.makeDirectories(directory, mode: 0o711)
        }
        let hierarchy = try CgroupHierarchy.detect()
        let facts = HostFacts.read(dataDirectory: configuration.dataDirectory, nodeIP: configuration.nodeIP)
        if let floor = facts.oomScoreFloor {
            logger.notice("no CAP_SYS_RESOURCE: containers get oom_score_adj no lower than the agent's own", metadata: ["floor": "\(floor)"])
        }
        let template = try await Self.runtimeDefaultSpec(runtimePath: configuration.runtimePath, scratch: configuration.dataDirectory)
        let client = try APIClient(
            serverURL: configuration.serverURL, caCertificatePEM: configuration.caCertificatePEM,
            joinToken: configuration.joinToken, nodeName: configuration.nodeName)
        let runtime = LateBound<AgentNodeBackend.AgentRuntime>()
        let nodeAPI = try NodeAPIServer(
            configuration: NodeAPIConfiguration(
                port: configuration.nodeAPIPort, certificateDirectory: configuration.dataDirectory + "/pki",
                hostnames: [facts.hostname, configuration.nodeName], addresses: [facts.internalIP, "127.0.0.1"],
                credential: client.credential),
            backend: AgentNodeBackend(runtime: runtime), logger: logger)

        do {
            try await serve(client: client, nodeAPI: nodeAPI, runtime: runtime, facts: facts, hierarchy: hierarchy, template: template)
        } catch {
            logger.error("agent failed", metadata: ["error": "\(error)"])
            await client.shutdown()
            throw error
        }
        logger.info("agent stopped; pods keep running")
        await client.shutdown()
    }

    private func serve(
        client: APIClient, nodeAPI: NodeAPIServer, runtime: LateBound<AgentNodeBackend.AgentRuntime>, facts: HostFacts,
        hierarchy: CgroupHierarchy, template: JSON
    ) async throws {
        let configuration = configuration
        let logger = logger
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await nodeAPI.run() }
            let port = try await nodeAPI.listeningPort()
            let registrar = NodeRegistrar(
                client: client, configuration: configuration, facts: facts, nodeAPIPort: port,
                certificateSHA256: nodeAPI.certificateSHA256, logger: logger)
            let podCIDR = try await registrar.register()
            logger.info("node registered", metadata: ["node": "\(configuration.nodeName)", "podCIDR": "\(podCIDR)", "ip": "\(facts.internalIP)", "nodeAPIPort": "\(port)"])

            let driver = RuntimeDriver(runtimePath: configuration.runtimePath, runtimeRoot: configuration.runtimeRoot, monitorPath: configuration.monitorPath)
            let volumes = VolumeManager(client: client, podsDirectory: configuration.podsDirectory)
            let managerBox = LateBound<PodManager>()
            let exitWatcher = try ExitWatcher { id in
                Task { await managerBox.value?.containerExited(id: id) }
            }
            let sandboxes = try CNISandboxes(configuration: configuration, podCIDR: podCIDR, logger: logger)
            let savedPods = Set((try? FileSystem.listDirectory(configuration.podsDirectory)) ?? [])
            await sandboxes.cleanupStale(keeping: savedPods)
            let context = AgentContext(
                configuration: configuration, client: client, driver: driver, sandboxes: sandboxes,
                images: try ImageStoreProvider(root: configuration.imagesDirectory),
                volumes: volumes, environment: EnvironmentResolver(volumes: volumes),
                cgroups: PodCgroups(hierarchy: hierarchy, root: configuration.cgroupRoot, memoryCapacity: facts.memoryBytes, oomScoreFloor: facts.oomScoreFloor),
                events: EventRecorder(client: client, nodeName: configuration.nodeName, logger: logger),
                specBuilder: ContainerSpecBuilder(template: template), exitWatcher: exitWatcher,
                hostIP: facts.internalIP, logger: logger)
            let manager = PodManager(context: context)
            managerBox.value = manager
            await manager.restore()
            let stats = StatsCollector(context: context, manager: manager, hierarchy: hierarchy)
            runtime.value = AgentNodeBackend.AgentRuntime(context: context, manager: manager, stats: stats)
            let source = PodSource(client: client, nodeName: configuration.nodeName, manager: manager, logger: logger)
            Self.notifySystemd(logger: logger)

            group.addTask { await registrar.heartbeat() }
            group.addTask { await source.run() }
            group.addTask {
                // A sample every 10 s gives every scrape a CPU rate over a real window, as
                // cAdvisor's housekeeping does.
                while !Task.isCancelled {
                    _ = await stats.snapshot()
                    try? await Task.sleep(for: .seconds(10))
                }
            }
            group.addTask {
                // Returns on SIGTERM/SIGINT; pods keep running (the unit says KillMode=process).
                try? await gracefulShutdown()
                throw CancellationError()
            }
            do {
                try await group.next()
            } catch is CancellationError {}
            group.cancelAll()
        }
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
    static func runtimeDefaultSpec(runtimePath: String, scratch: String) async throws -> JSON {
        try await blocking {
            let directory = scratch + "/spec-template"
            try? FileSystem.removeTree(directory)
            _ = try FileSystem.makeDirectories(directory)
            defer { try? FileSystem.removeTree(directory) }
            let output = try Command.run(runtimePath, ["spec", "--bundle", directory])
            guard output.status == .exited(0) else {
                throw ContainerRuntimeError(reason: "RuntimeUnavailable", message: "\(runtimePath) spec failed: \(output.stderr)")
            }
            return try JSON(parsing: FileSystem.readString(directory + "/config.json"))
        }
    }
}


