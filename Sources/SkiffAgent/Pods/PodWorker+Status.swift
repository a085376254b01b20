import FoundationEssentials
import SkiffAPI

extension PodWorker {
    /// The kubelet's phase rules: Pending until init containers succeed and every container has
    /// run; Running while any runs or will restart; Succeeded/Failed once none will run again.
    func podPhase() -> PodPhase {
        if evictionMessage != nil { return .failed }
        let restartPolicy = pod.spec.restartPolicy
        for spec in pod.spec.initContainers {
            guard let state = containers[spec.name] else { continue }
            if let termination = state.termination, termination.exitCode == 0 { continue }
            if let termination = state.termination, termination.exitCode != 0, restartPolicy == .never { return .failed }
            return .pending
        }
        var running = 0
        var waiting = 0
        var stopped = 0
        var succeeded = 0
        for spec in pod.spec.containers {
            guard let state = containers[spec.name] else { continue }
            switch state.phase {
            case .running: running += 1
            case .terminated(let termination):
                stopped += 1
                if termination.exitCode == 0 { succeeded += 1 }
            case .waiting:
                if state.lastTermination != nil { stopped += 1 } else { waiting += 1 }
            }
        }
        if waiting > 0 { return .pending }
        if running > 0 { return .running }
        if stopped > 0 {
            switch restartPolicy {
            case .always: return .running
            case .onFailure: return stopped == succeeded ? .succeeded : .running
            case .never: return stopped == succeeded ? .succeeded : .failed
            }
        }
        return .pending
    }

    /// The status this node reports. Other status fields (nominatedNodeName, conditions of other
    /// types) are the server's or other writers': a merge patch leaves them as they are, and the
    /// conditions list, which a merge patch replaces whole, carries theirs along.
    func statusJSON() -> JSON {
        let now = Timestamp.now()
        let phase = podPhase()
        var status: JSON = [
            "phase": .string(phase.rawValue), "hostIP": .string(context.hostIP), "hostIPs": [["ip": .string(context.hostIP)]],
            "qosClass": .string(QoS.classify(pod.spec).rawValue),
        ]
        if let sandbox, lifecycle != .finished || pod.status.podIP == nil {
            status["podIP"] = .string(sandbox.podIP)
            status["podIPs"] = [["ip": .string(sandbox.podIP)]]
        }
        if let startTime { status["startTime"] = .string(Timestamp.string(startTime)) }
        if let evictionMessage {
            status["reason"] = "Evicted"
            status["message"] = .string(evictionMessage)
        }
        let initSpecs = pod.spec.initContainers
        let appSpecs = pod.spec.containers
        let initStatuses = initSpecs.compactMap { containers[$0.name]?.statusJSON() }
        if !initStatuses.isEmpty { status["initContainerStatuses"] = .array(initStatuses) }
        status["containerStatuses"] = .array(appSpecs.compactMap { containers[$0.name]?.statusJSON() })
        let initialized = initSpecs.allSatisfy { containers[$0.name]?.termination?.exitCode == 0 }
        let containersReady = appSpecs.allSatisfy { containers[$0.name]?.ready == true }
        var conditions: [String: (Bool, String?)] = [
            "PodReadyToStartContainers": (sandbox != nil && lifecycle != .finished, nil),
            "Initialized": (initialized, initialized ? nil : "ContainersNotInitialized"),
            "ContainersReady": (containersReady, containersReady ? nil : "ContainersNotReady"),
            "Ready": (containersReady && phase == .running, containersReady ? nil : "ContainersNotReady"),
        ]
        if lifecycle == .finished && phase == .succeeded {
            conditions["Ready"] = (false, "PodCompleted")
            conditions["ContainersReady"] = (false, "PodCompleted")
        }
        var list = pod.status.conditions.filter { conditions[$0.type] == nil && ($0.type != "DisruptionTarget" || evictionMessage == nil) }
        // Kubernetes marks a pod its kubelet evicts, so a Job's pod failure policy can tell; a pod
        // refused at admission (it never started) is not marked.
        if let evictionMessage, startTime != nil {
            let previous = pod.status.condition("DisruptionTarget")
            list.append(
                PodCondition(
                    type: "DisruptionTarget", status: "True", reason: "TerminationByKubelet", message: evictionMessage,
                    lastTransitionTime: previous?.status == "True" ? (previous?.lastTransitionTime ?? now) : now))
        }
        for type in ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady"] {
            guard let (value, reason) = conditions[type] else { continue }
            let statusText = value ? "True" : "False"
            let previous = pod.status.condition(type)
            var condition = PodCondition(
                type: type, status: statusText, reason: reason,
                lastTransitionTime: previous?.status == statusText ? (previous?.lastTransitionTime ?? now) : now)
            if !value, type == "Ready" || type == "ContainersReady" {
                let notReady = appSpecs.map(\.name).filter { containers[$0]?.ready != true }
                if !notReady.isEmpty { condition.message = "containers with unready status: [\(notReady.joined(separator: " "))]" }
            }
            list.append(condition)
        }
        status["conditions"] = .array(list.map(\.json))
        return status
    }

    /// Patches the pod's status when it changed since the last report.
    func reportStatus() async {
        guard lifecycle != .terminated else { return }
        let status = statusJSON()
        // Conditions carry timestamps; compare without them so an unchanged pod is not rewritten.
        let comparable = Self.withoutTimes(status)
        guard comparable != Self.withoutTimes(reportedStatus) else { return }
        do {
            let updated = try await context.status.patchStatus(namespace: pod.namespace, name: pod.name, status: status)
            if updated.uid == uid {
                reportedStatus = status
                pod = pod.withStatus(of: updated)
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
            copy["conditions"] = .array(
                conditions.map { condition in
                    var condition = condition
                    condition["lastTransitionTime"] = nil
                    condition["lastProbeTime"] = nil
                    return condition
                })
        }
        return copy
    }
}
