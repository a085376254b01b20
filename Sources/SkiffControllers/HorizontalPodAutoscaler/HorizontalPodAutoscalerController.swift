import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffClient
import Synchronization

/// kube-controller-manager's horizontal pod autoscaler: every `syncPeriod` (15 s) each
/// HorizontalPodAutoscaler reads its workload's `scale` subresource and its pods' usage from the
/// metrics API (the agents' stats behind `kubectl top`), computes the replicas that bring each
/// metric to its target (within a 10 % tolerance), applies the stabilization windows and rate
/// policies of `behavior`, writes `scale` when that differs, and reports in its status.
public final class HorizontalPodAutoscalerController: Service, Sendable {
    public static let component = "horizontal-pod-autoscaler"
    public static let resource = APIResource(group: "autoscaling", version: "v2", plural: "horizontalpodautoscalers")
    static let statusResource = APIResource(group: "autoscaling", version: "v2", plural: "horizontalpodautoscalers", subresource: "status")

    let context: ControllerContext
    let autoscalers: Informer<HorizontalPodAutoscaler>
    let pods: Informer<Pod>
    let workers: SyncWorkers
    let syncPeriod: Duration
    /// Seconds on a monotonic clock (tests move it).
    let now: @Sendable () -> Double
    private let state = Mutex(State())

    private struct State {
        var histories: [String: ScalingHistory] = [:]
        /// Keys with a periodic resync waiting, so each autoscaler has one resync chain.
        var resyncing: Set<String> = []
    }

    public init(context: ControllerContext, syncPeriod: Duration = .seconds(15), now: (@Sendable () -> Double)? = nil) {
        self.context = context
        self.syncPeriod = syncPeriod
        let start = ContinuousClock.now
        self.now =
            now ?? {
                let elapsed = ContinuousClock.now - start
                return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            }
        autoscalers = context.informers.informer(Self.resource) { try HorizontalPodAutoscaler(json: $0) }
        pods = context.informers.pods
        workers = SyncWorkers(name: Self.component, workers: 2, logger: context.logger)
        autoscalers.addHandler { [workers] change in
            switch change {
            case .added(let autoscaler), .deleted(let autoscaler): workers.enqueue(autoscaler.key)
            case .updated(let old, let new):
                if old.metadata.generation != new.metadata.generation || old.scaleTarget != new.scaleTarget { workers.enqueue(new.key) }
            }
        }
    }

    public func run() async {
        await autoscalers.waitForSync()
        await pods.waitForSync()
        await workers.run { key in
            defer { self.scheduleResync(key) }
            try await self.sync(key)
        }
    }

    private func scheduleResync(_ key: String) {
        guard autoscalers.get(key) != nil, state.withLock({ $0.resyncing.insert(key).inserted }) else { return }
        Task {
            try? await Task.sleep(for: self.syncPeriod)
            self.state.withLock { _ = $0.resyncing.remove(key) }
            self.workers.enqueue(key)
        }
    }

    func sync(_ key: String) async throws {
        guard let autoscaler = autoscalers.get(key) else {
            state.withLock { _ = $0.histories.removeValue(forKey: key) }
            return
        }
        let namespace = autoscaler.metadata.namespace
        let target = autoscaler.scaleTarget
        let scaleResource = APIResource(
            group: Self.group(of: target.apiVersion), version: Self.version(of: target.apiVersion), plural: target.kind.lowercased() + "s",
            subresource: "scale")
        var report = StatusReport(autoscaler)
        guard let scaleJSON = try await context.client.get(scaleResource, namespace: namespace, name: target.name) else {
            report.condition(
                "AbleToScale", false, "FailedGetScale",
                "the HPA controller was unable to get the target's current scale: \(target.kind)/\(target.name) not found")
            return try await write(report, for: autoscaler, warning: ("FailedGetScale", "\(target.kind)/\(target.name) not found"))
        }
        let scale = try Scale(json: scaleJSON)
        let current = scale.replicas
        report.currentReplicas = scale.currentReplicas
        report.condition("AbleToScale", true, "SucceededGetScale", "the HPA controller was able to get the target's current scale")
        guard current > 0 else {
            report.desiredReplicas = 0
            report.condition("ScalingActive", false, "ScalingDisabled", "scaling is disabled since the replica count of the target is zero")
            return try await write(report, for: autoscaler)
        }

        var proposal: (replicas: Int, reason: String)?
        var failure: String?
        for metric in autoscaler.metrics {
            do {
                let (replicas, status) = try await propose(metric, scale: scale, namespace: namespace, current: current)
                report.currentMetrics.append(status)
                let reason =
                    "\(metric.resourceName ?? metric.type) resource\(metric.target.map { if case .utilization = $0 { " utilization (percentage of request)" } else { "" } } ?? "")"
                if proposal == nil || replicas > proposal!.replicas { proposal = (replicas, reason) }
            } catch {
                failure = "\(error)"
            }
        }
        guard let proposal else {
            let message = "the HPA was unable to compute the replica count: \(failure ?? "no metrics")"
            report.condition("ScalingActive", false, "FailedGetResourceMetric", message)
            return try await write(report, for: autoscaler, warning: ("FailedGetResourceMetric", message))
        }
        report.condition("ScalingActive", true, "ValidMetricFound", "the HPA was able to successfully calculate a replica count from \(proposal.reason)")

        let behavior = ScalingBehavior(autoscaler)
        let now = now()
        let desired: Int
        let limit: ScalingBehavior.Limit
        if current > autoscaler.maxReplicas {
            (desired, limit) = (autoscaler.maxReplicas, .tooManyReplicas)
        } else if current < autoscaler.minReplicas {
            (desired, limit) = (autoscaler.minReplicas, .tooFewReplicas)
        } else {
            (desired, limit) = state.withLock { state in
                behavior.desiredReplicas(proposal: proposal.replicas, current: current, now: now, history: &state.histories[key, default: ScalingHistory()])
            }
        }
        switch limit {
        case .tooManyReplicas: report.condition("ScalingLimited", true, "TooManyReplicas", "the desired replica count is more than the maximum replica count")
        case .tooFewReplicas: report.condition("ScalingLimited", true, "TooFewReplicas", "the desired replica count is less than the minimum replica count")
        case .scaleUpLimit:
            report.condition("ScalingLimited", true, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate")
        case .scaleDownLimit:
            report.condition("ScalingLimited", true, "ScaleDownLimit", "the desired replica count is decreasing faster than the maximum scale rate")
        case .none: report.condition("ScalingLimited", false, "DesiredWithinRange", "the desired count is within the acceptable range")
        }
        report.desiredReplicas = desired

        if desired != current {
            var resized = scaleJSON
            resized["spec"]["replicas"] = .int(Int64(desired))
            do {
                _ = try await context.client.update(scaleResource, namespace: namespace, resized, fieldManager: Self.component)
            } catch {
                report.condition("AbleToScale", false, "FailedUpdateScale", "the HPA controller was unable to update the target scale: \(error)")
                try await write(report, for: autoscaler, warning: ("FailedRescale", "New size: \(desired); reason: \(proposal.reason); error: \(error)"))
                throw error
            }
            state.withLock { state in behavior.recordScale(from: current, to: desired, now: now, history: &state.histories[key, default: ScalingHistory()]) }
            report.lastScaleTime = Timestamp.now()
            report.condition("AbleToScale", true, "SucceededRescale", "the HPA controller was able to update the target scale to \(desired)")
            let direction = desired > current ? "above" : "below"
            let reason =
                limit == .none
                ? "\(proposal.reason) \(direction) target"
                : "Current number of replicas \(direction == "above" ? "below Spec.MinReplicas" : "above Spec.MaxReplicas")"
            context.podControl(component: Self.component).record(
                owner(autoscaler), reason: "SuccessfulRescale",
                message:
                    "New size: \(desired); reason: \(limit == .tooFewReplicas || limit == .tooManyReplicas ? reason : "\(proposal.reason) \(direction) target")"
            )
        }
        try await write(report, for: autoscaler)
    }

    /// The replicas one metric asks for, and its `currentMetrics` entry.
    private func propose(_ metric: MetricSpec, scale: Scale, namespace: String, current: Int) async throws -> (Int, JSON) {
        guard let resource = metric.resourceName, let target = metric.target else {
            throw UnsupportedMetric(description: "metric type \(metric.type) has no source in this cluster (only Resource and ContainerResource)")
        }
        if case .unsupported(let type) = target { throw UnsupportedMetric(description: "target type \(type) is not supported for resource metrics") }
        let selected = pods.objects(in: namespace).filter { pod in
            scale.selector.matches(pod.labels) && !pod.isBeingDeleted && pod.status.phase != .failed && pod.status.phase != .succeeded
        }
        let usage = try await podUsage(namespace: namespace, selector: scale.selector, resource: resource, container: metric.container)
        let measured = selected.map { pod in
            PodUsage(
                name: pod.name, usage: usage[pod.name], request: Self.request(of: pod, resource: resource, container: metric.container),
                isReady: pod.status.phase == .running && pod.status.condition("Ready")?.status == "True")
        }
        let proposal = try ReplicaCalculator.proposal(for: target, resource: resource, pods: measured, current: current)
        var currentValue: JSON = ["averageValue": .string(Self.format(proposal.currentAverage, resource: resource))]
        if let utilization = proposal.currentUtilization { currentValue["averageUtilization"] = .int(Int64(utilization)) }
        let status: JSON =
            metric.type == "ContainerResource"
            ? [
                "type": "ContainerResource",
                "containerResource": ["name": .string(resource), "container": .string(metric.container ?? ""), "current": currentValue],
            ]
            : ["type": "Resource", "resource": ["name": .string(resource), "current": currentValue]]
        return (proposal.replicas, status)
    }

    struct UnsupportedMetric: Error, CustomStringConvertible {
        let description: String
    }

    /// Each selected pod's usage of `resource` (summed over its containers, or the one named),
    /// from the metrics API.
    private func podUsage(namespace: String, selector: LabelSelector, resource: String, container: String?) async throws -> [String: Quantity] {
        let list = try await context.client.list("/apis/metrics.k8s.io/v1beta1/namespaces/\(namespace)/pods")
        var usage: [String: Quantity] = [:]
        for item in list["items"].array ?? [] {
            guard let name = item["metadata"]["name"].string, selector.matches(Self.labels(item["metadata"]["labels"])) else { continue }
            var total: Int64 = 0
            for entry in item["containers"].array ?? [] where container == nil || entry["name"].string == container {
                total += Quantity(json: entry["usage"][resource])?.milliValue ?? 0
            }
            usage[name] = Quantity(milliValue: total)
        }
        return usage
    }

    static func labels(_ json: JSON) -> [String: String] {
        guard case .object(let fields) = json else { return [:] }
        return fields.compactMapValues(\.string)
    }

    /// The pod's request of `resource` over its containers (or the one named); nil when one lacks it.
    static func request(of pod: Pod, resource: String, container: String?) -> Quantity? {
        var total: Int64 = 0
        for entry in pod.spec.containers where container == nil || entry.name == container {
            guard let request = entry.resources.requests[resource] else { return nil }
            total += request.milliValue
        }
        return Quantity(milliValue: total)
    }

    /// cpu in millicores ("250m"), memory in bytes, as the metrics API's consumers expect.
    static func format(_ quantity: Quantity, resource: String) -> String {
        resource == "cpu" ? "\(quantity.milliValue)m" : "\(quantity.milliValue / 1000)"
    }

    static func group(of apiVersion: String) -> String { apiVersion.contains("/") ? String(apiVersion.split(separator: "/")[0]) : "" }
    static func version(of apiVersion: String) -> String { String(apiVersion.split(separator: "/").last ?? "v1") }

    private func owner(_ autoscaler: HorizontalPodAutoscaler) -> ControllerOwner {
        ControllerOwner(apiVersion: Self.resource.apiVersion, kind: "HorizontalPodAutoscaler", metadata: autoscaler.metadata)
    }

    /// Writes the status when it says something new, and a Warning event when given.
    private func write(_ report: StatusReport, for autoscaler: HorizontalPodAutoscaler, warning: (String, String)? = nil) async throws {
        if let (reason, message) = warning {
            context.podControl(component: Self.component).record(owner(autoscaler), type: "Warning", reason: reason, message: message)
        }
        try await context.client.updateStatus(
            Self.statusResource, of: autoscaler.json, to: report.status(previous: autoscaler.status), namespace: autoscaler.metadata.namespace,
            fieldManager: Self.component)
    }
}
