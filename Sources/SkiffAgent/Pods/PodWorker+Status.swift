import FoundationEssentials
import SkiffAPI

extension PodWorker {
    /// The kubelet's phase rules: Pending until init containers succeed and every container has
    /// run; Running while any runs or will restart; Succeeded/Failed once none will run again.
    func podPhase() -> String {
        let restartPolicy = pod["spec"]["restartPolicy"].string ?? "Always"
        for spec in pod["spec"]["initContainers"].array ?? [] {
            guard let state = containers[spec["name"].string ?? ""] else { continue }
            if let termination = state.termination, termination.exitCode == 0 { continue }
            if let termination = state.termination, termination.exitCode != 0, restartPolicy == "Never" { return "Failed" }
            return "Pending"
        }
        var running = 0, waiting = 0, stopped = 0, succeeded = 0
        for spec in pod["spec"]["containers"].array ?? [] {
            guard let state = containers[spec["name"].string ?? ""] else { continue }
            switch state.phase {
            case .running: running += 1
            case .terminated(let termination):
                stopped += 1
                if termination.exitCode == 0 { succeeded += 1 }
            case .waiting:
                if state.lastTermination != nil { stopped += 1 } else { waiting += 1 }
            }
        }
        if waiting > 0 { return "Pending" }
        if running > 0 { return "Running" }
        if stopped > 0 {
            switch restartPolicy {
            case "Always": return "Running"
            case "OnFailure": return stopped == succeeded ? "Succeeded" : "Running"
            default: return stopped == succeeded ? "Succeeded" : "Failed"
            }
        }
        return "Pending"
    }

    func statusJSON() -> JSON {
        let now = JSON.string(Timestamp.now())
        let phase = podPhase()
        var status = pod["status"]
        status["phase"] = .string(phase)
        status["hostIP"] = .string(context.hostIP)
        status["hostIPs"] = [["ip": .string(context.hostIP)]]
        if let sandbox, lifecycle != .finished || pod["status"]["podIP"].string == nil {
            status["podIP"] = .string(sandbox.podIP)
            status["podIPs"] = [["ip": .string(sandbox.podIP)]]
        }
        if let startTime { status["startTime"] = .string(Timestamp.string(startTime)) }
        status["qosClass"] = .string(QoS.classify(pod["spec"]))
        let initSpecs = pod["spec"]["initContainers"].array ?? []
        let appSpecs = pod["spec"]["containers"].array ?? []
        let initStatuses = initSpecs.compactMap { containers[$0["name"].string ?? ""]?.statusJSON() }
        if !initStatuses.isEmpty { status["initContainerStatuses"] = .array(initStatuses) }
        status["containerStatuses"] = .array(appSpecs.compactMap { containers[$0["name"].string ?? ""]?.statusJSON() })
        let initialized = initSpecs.allSatisfy { containers[$0["name"].string ?? ""]?.termination?.exitCode == 0 }
        let containersReady = appSpecs.allSatisfy { containers[$0["name"].string ?? ""]?.ready == true }
        var conditions: [String: (Bool, String?)] = [
            "PodReadyToStartContainers": (sandbox != nil && lifecycle != .finished, nil),
            "Initialized": (initialized, initialized ? nil : "ContainersNotInitialized"),
            "ContainersReady": (containersReady, containersReady ? nil : "ContainersNotReady"),
            "Ready": (containersReady && phase == "Running", containersReady ? nil : "ContainersNotReady"),
        ]
        if lifecycle == .finished && phase == "Succeeded" {
            conditions["Ready"] = (false, "PodCompleted")
            conditions["ContainersReady"] = (false, "PodCompleted")
        }
        let existing = pod["status"]["conditions"].array ?? []
        var list: [JSON] = existing.filter { condition in
            let type = condition["type"].string ?? ""
            return conditions[type] == nil
        }
        for type in ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady"] {
            guard let (value, reason) = conditions[type] else { continue }
            let statusText = value ? "True" : "False"
            let previous = existing.first { $0["type"].string == type }
            var condition: JSON = ["type": .string(type), "status": .string(statusText), "lastProbeTime": nil]
            condition["lastTransitionTime"] = previous?["status"].string == statusText ? (previous?["lastTransitionTime"] ?? now) : now
            if let reason { condition["reason"] = .string(reason) }
            if !value, type == "Ready" || type == "ContainersReady" {
                let notReady = appSpecs.compactMap { spec -> String? in
                    let name = spec["name"].string ?? ""
                    return containers[name]?.ready == true ? nil : name
                }
                if !notReady.isEmpty { condition["message"] = .string("containers with unready status: [\(notReady.joined(separator: " "))]") }
            }
            list.append(condition)
        }
        status["conditions"] = .array(list)
        return status
    }

    /// Patches the pod's status when it changed since the last report.
    func reportStatus() async {
        guard lifecycle != .terminated else { return }
        let status = statusJSON()
        // Conditions carry timestamps; compare without them so an unchanged pod is not rewritten.
        let comparable = Self.withoutTimes(status)
        guard comparable != Self.withoutTimes(reportedStatus) else { return }
        let namespace = pod["metadata"]["namespace"].string ?? "default"
        let name = pod["metadata"]["name"].string ?? ""
        do {
            let updated = try await context.status.patchStatus(namespace: namespace, name: name, status: status)
            if updated["metadata"]["uid"].string == uid {
                reportedStatus = status
                pod["status"] = updated["status"]
            }
        } catch let error as APIClientError where error.isNotFound {
            markRemoved()
        } catch {
            logger.warning("status update failed", metadata: ["error": "\(error)"])
            wake(at: Date().addingTimeInterval(2))
        }
    }

    static func withoutTimes(_ status: JSON) -> JSON {
        var copy = status
        if let conditions = status["conditions"].array {
            copy["conditions"] = .array(conditions.map { condition in
                var condition = condition
                condition["lastTransitionTime"] = nil
                condition["lastProbeTime"] = nil
                return condition
            })
        }
        return copy
    }
}
