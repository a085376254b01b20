import FoundationEssentials
import SkiffAPI

extension PodWorker {
    var prober: Prober { Prober(driver: context.runtime) }

    /// Starts the startup, liveness and readiness probe loops of a running container.
    func startProbes(for name: String) {
        probes[name]?.cancel()
        guard let spec = specFor(name), let id = containers[name]?.runningID, let podIP = sandbox?.podIP else { return }
        let hasProbe = !spec["startupProbe"].isNull || !spec["livenessProbe"].isNull || !spec["readinessProbe"].isNull
        if !hasProbe {
            let isApp = containers[name]?.isInit == false
            containers[name]?.ready = isApp
            containers[name]?.started = true
            requestSync()
            return
        }
        let prober = prober
        probes[name] = Task { [weak self] in
            await withTaskGroup(of: Void.self) { group in
                for kind in ["startupProbe", "livenessProbe", "readinessProbe"] where !spec[kind].isNull {
                    group.addTask {
                        await self?.probeLoop(kind: kind, probe: spec[kind], name: name, id: id, podIP: podIP, spec: spec, prober: prober)
                    }
                }
            }
        }
    }

    private func probeLoop(kind: String, probe: JSON, name: String, id: String, podIP: String, spec: JSON, prober: Prober) async {
        let initialDelay = Double(probe["initialDelaySeconds"].int ?? 0)
        let period = Double(max(1, probe["periodSeconds"].int ?? 10))
        let timeout = Double(max(1, probe["timeoutSeconds"].int ?? 1))
        let successThreshold = Int(max(1, probe["successThreshold"].int ?? 1))
        let failureThreshold = Int(max(1, probe["failureThreshold"].int ?? 3))
        try? await Task.sleep(for: .seconds(initialDelay))
        var successes = 0, failures = 0
        while !Task.isCancelled {
            guard containers[name]?.runningID == id else { return }
            // Liveness and readiness wait for the startup probe, as in Kubernetes.
            if kind != "startupProbe", containers[name]?.started != true {
                try? await Task.sleep(for: .seconds(min(period, 1)))
                continue
            }
            let result = await prober.run(probe, containerID: id, podIP: podIP, container: spec, environment: [], timeout: timeout)
            guard !Task.isCancelled, containers[name]?.runningID == id else { return }
            switch result {
            case .success:
                successes += 1
                failures = 0
                if successes >= successThreshold { probeSucceeded(kind: kind, name: name) }
            case .failure(let message):
                failures += 1
                successes = 0
                let label = kind == "livenessProbe" ? "Liveness" : kind == "readinessProbe" ? "Readiness" : "Startup"
                context.status.record(pod: pod, container: name, type: "Warning", reason: "Unhealthy", message: "\(label) probe failed: \(message)")
                if failures >= failureThreshold {
                    await probeFailed(kind: kind, name: name, message: message)
                    if kind != "readinessProbe" { return }
                }
            }
            if kind == "startupProbe", containers[name]?.started == true { return }
            try? await Task.sleep(for: .seconds(period))
        }
    }

    private func probeSucceeded(kind: String, name: String) {
        switch kind {
        case "startupProbe":
            containers[name]?.started = true
            if specFor(name)?["readinessProbe"].isNull == true { containers[name]?.ready = true }
        case "readinessProbe":
            guard containers[name]?.ready != true else { return }
            containers[name]?.ready = true
        default:
            if specFor(name)?["readinessProbe"].isNull == true, containers[name]?.ready != true {
                containers[name]?.ready = true
            } else { return }
        }
        requestSync()
    }

    private func probeFailed(kind: String, name: String, message: String) async {
        switch kind {
        case "readinessProbe":
            guard containers[name]?.ready == true else { return }
            containers[name]?.ready = false
            requestSync()
        case "livenessProbe":
            await killContainer(name: name, reason: "Unhealthy", message: "Container \(name) failed liveness probe, will be restarted")
        default:
            await killContainer(name: name, reason: "Unhealthy", message: "Container \(name) failed startup probe, will be restarted")
        }
    }

    func runPostStart(spec: JSON, containerID: String) async {
        let name = spec["name"].string ?? ""
        let result = await prober.run(
            spec["lifecycle"]["postStart"], containerID: containerID, podIP: sandbox?.podIP ?? "", container: spec, environment: [], timeout: 30)
        if case .failure(let message) = result {
            context.status.record(pod: pod, container: name, type: "Warning", reason: "FailedPostStartHook", message: message)
            await killContainer(name: name, reason: "FailedPostStartHook", message: "FailedPostStartHook: \(message)")
        }
    }

    func runPreStop(spec: JSON, containerID: String, deadline: Date) async {
        let result = await prober.run(
            spec["lifecycle"]["preStop"], containerID: containerID, podIP: sandbox?.podIP ?? "", container: spec, environment: [],
            timeout: max(1, deadline.timeIntervalSinceNow))
        if case .failure(let message) = result {
            context.status.record(pod: pod, container: spec["name"].string, type: "Warning", reason: "FailedPreStopHook", message: message)
        }
    }
}
