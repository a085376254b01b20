import Logging
import SkiffAPI
import SkiffClient
import SkiffServiceProxy
import Synchronization

/// kube-proxy's job on this node: whenever a Service or EndpointSlice changes, recompute what the
/// proxy programs and hand it to `ServiceProxy`, which sends nftables only what changed. Services
/// the proxy cannot program are skipped with a Warning event on the Service, once per reason.
final class ServiceProxyController: Sendable {
    let informers: ClusterInformers
    let proxy: ServiceProxy
    let nodeName: String
    let recorder: EventRecorder
    let logger: Logger
    private let reported = Mutex<Set<String>>([])

    init(informers: ClusterInformers, proxy: ServiceProxy, nodeName: String, recorder: EventRecorder, logger: Logger) {
        self.informers = informers
        self.proxy = proxy
        self.nodeName = nodeName
        self.recorder = recorder
        self.logger = logger
    }

    /// Registers on the informers (before they run) and returns the loop to run.
    func worker() -> QueueWorkers<String> {
        informers.servicesAndSlicesWorker(name: "service proxy", logger: logger) { try await self.sync() }
    }

    func sync() async throws {
        let services = ProxyServices.build(services: informers.services.list(), slices: informers.endpointSlices.list(), nodeName: nodeName)
        let proxy = proxy
        let report = try await blocking { try proxy.sync(services: services) }
        for skip in report.skipped { warnOnce(skip) }
        if !report.conntrackErrors.isEmpty {
            logger.warning("clearing stale UDP flows failed", metadata: ["errors": "\(report.conntrackErrors)"])
        }
        logger.debug("service rules synced", metadata: ["services": "\(services.count)", "full": "\(report.fullSync)", "bytes": "\(report.scriptBytes)"])
    }

    private func warnOnce(_ skip: ProxySkip) {
        guard reported.withLock({ $0.insert(skip.description).inserted }) else { return }
        logger.warning("service not programmed", metadata: ["service": "\(skip.namespace)/\(skip.name)", "reason": "\(skip.reason)"])
        _ = recorder.record(
            namespace: skip.namespace,
            EventRecorder.event(
                involved: ["kind": "Service", "apiVersion": "v1", "namespace": .string(skip.namespace), "name": .string(skip.name)],
                type: "Warning", reason: "ServiceNotProgrammed", message: skip.description, component: "kube-proxy", host: nodeName))
    }
}
