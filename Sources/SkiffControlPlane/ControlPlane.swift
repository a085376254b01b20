import Logging
import ServiceLifecycle
import SkiffAPIServer
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

    public static func make(configuration: APIServerConfiguration, store: any Store, logger: Logger) async throws -> ControlPlane {
        let server = try await APIServer.make(configuration: configuration, store: store, logger: logger)
        let api = server.api
        let scheduler = SchedulerService(client: InProcessSchedulerClient(api: api, token: server.credentials.adminToken), logger: logger)
        // ServiceGroup shuts services down in reverse order: the scheduler and the controllers
        // stop before the API they call.
        return ControlPlane(
            api: api,
            services: server.services + [
                SchedulerRunner(scheduler: scheduler),
                GarbageCollector(api: api, logger: logger), NamespaceController(api: api, logger: logger),
                NodeIPAMController(api: api, logger: logger),
            ],
            credentials: server.credentials)
    }
}
