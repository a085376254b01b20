import FoundationEssentials
import SkiffAPI

/// The three probes a container may have; liveness and readiness wait for startup.
enum ProbeKind: Sendable, CaseIterable {
    case startup, liveness, readiness

    var label: String {
        switch self {
        case .startup: "Startup"
        case .liveness: "Liveness"
        case .readiness: "Readiness"
        }
    }

    func probe(of container: Container) -> Probe? {
        switch self {
        case .startup: container.startupProbe
        case .liveness: container.livenessProbe
        case .readiness: container.readinessProbe
        }
    }
}

extension PodWorker {
    var prober: Prober { Prober(driver: context.runtime) }

    /// Starts the startup, liveness and readiness probe loops of a running container.
    func startProbes(for name: String) {
        probes[name]?.cancel()
        guard let spec = specFor(name), let id = containers[name]?.runningID, let podIP = sandbox?.podIP else { return }
        if !spec.hasProbes {
            let isApp = containers[name]?.isInit == false
            containers[name]?.ready = isApp
            containers[name]?.started = true
            requestSync()
            return
        }
        let prober = prober
        probes[name] = Task { [weak self] in
            await withTaskGroup(of: Void.self) { group in
                for kind in ProbeKind.allCases {
                    guard let probe = kind.probe(of: spec) else { continue }
                    group.addTask {
                        await self?.probeLoop(kind: kind, probe: probe, name: name, id: id, podIP: podIP, spec: spec, prober: prober)
                    }
                }
            }
        }
    }

    private func probeLoop(kind: ProbeKind, probe: Probe, name: String, id: String, podIP: String, spec: Container, prober: Prober) async {
        let period = Double(probe.periodSeconds)
        try? await Task.sleep(for: .seconds(Double(probe.initialDelaySeconds)))
        var successes = 0
        var failures = 0
        while !Task.isCancelled {
            guard containers[name]?.runningID == id else { return }
            // Liveness and readiness wait for the startup probe, as in Kubernetes.
            if kind != .startup, containers[name]?.started != true {
                try? await Task.sleep(for: .seconds(min(period, 1)))
                continue
            }
            let result = await prober.run(
                probe.handler, containerID: id, podIP: podIP, container: spec, environment: [], timeout: Double(probe.timeoutSeconds))
            guard !Task.isCancelled, containers[name]?.runningID == id else { return }
            switch result {
            case .success:
                successes += 1
                failures = 0
                if successes >= probe.successThreshold { probeSucceeded(kind: kind, name: name) }
            case .failure(let message):
                failures += 1
                successes = 0
                context.status.record(pod: pod, container: name, type: "Warning", reason: "Unhealthy", message: "\(kind.label) probe failed: \(message)")
                if failures >= probe.failureThreshold {
                    await probeFailed(kind: kind, name: name, message: message)
                    if kind != .readiness { return }
                }
            }
            if kind == .startup, containers[name]?.started == true { return }
            try? await Task.sleep(for: .seconds(period))
        }
    }

    private func probeSucceeded(kind: ProbeKind, name: String) {
        switch kind {
        case .startup:
            containers[name]?.started = true
            if specFor(name)?.readinessProbe == nil { containers[name]?.ready = true }
        case .readiness:
            guard containers[name]?.ready != true else { return }
            containers[name]?.ready = true
        case .liveness:
            if specFor(name)?.readinessProbe == nil, containers[name]?.ready != true {
                containers[name]?.ready = true
            } else {
                return
            }
        }
        requestSync()
    }

    private func probeFailed(kind: ProbeKind, name: String, message: String) async {
        switch kind {
        case .readiness:
            guard containers[name]?.ready == true else { return }
            containers[name]?.ready = false
            requestSync()
        case .liveness:
            await killContainer(name: name, reason: "Unhealthy", message: "Container \(name) failed liveness probe, will be restarted")
        case .startup:
            await killContainer(name: name, reason: "Unhealthy", message: "Container \(name) failed startup probe, will be restarted")
        }
    }

    func runPostStart(_ handler: LifecycleHandler, spec: Container, containerID: String) async {
        let result = await prober.run(handler, containerID: containerID, podIP: sandbox?.podIP ?? "", container: spec, environment: [], timeout: 30)
        if case .failure(let message) = result {
            context.status.record(pod: pod, container: spec.name, type: "Warning", reason: "FailedPostStartHook", message: message)
            await killContainer(name: spec.name, reason: "FailedPostStartHook", message: "FailedPostStartHook: \(message)")
        }
    }

    func runPreStop(_ handler: LifecycleHandler, spec: Container, containerID: String, deadline: Date) async {
        let result = await prober.run(
            handler, containerID: containerID, podIP: sandbox?.podIP ?? "", container: spec, environment: [],
            timeout: max(1, deadline.timeIntervalSinceNow))
        if case .failure(let message) = result {
            context.status.record(pod: pod, container: spec.name, type: "Warning", reason: "FailedPreStopHook", message: message)
        }
    }
}
