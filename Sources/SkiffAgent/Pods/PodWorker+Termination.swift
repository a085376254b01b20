import FoundationEssentials
import Glibc
import SkiffAPI
import SkiffSystem

extension PodWorker {
    /// Stops every running container gracefully (preStop, SIGTERM, grace period, SIGKILL), then
    /// releases the sandbox, cgroup, volumes and logs, and confirms the deletion to the API.
    func terminatePod() async {
        guard lifecycle == .terminating else { return }
        let grace = Double(pod.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds)
        await stopContainers(gracePeriod: grace, reason: "Killing")
        await context.sandboxes.tearDown(podUID: uid)
        context.cgroups.remove(for: pod)
        context.volumes.cleanup(podUID: uid)
        try? FileSystem.removeTree(context.podLogDirectory(pod))
        try? FileSystem.removeTree("\(context.configuration.podsDirectory)/\(uid)")
        lifecycle = .terminated
        evictionPending = false
        resumeEvictionWaiters()
        if pod.isBeingDeleted {
            do {
                try await context.status.confirmDeletion(namespace: pod.namespace, name: pod.name, uid: uid)
            } catch {
                logger.warning("cannot confirm pod deletion", metadata: ["error": "\(error)"])
            }
        }
        onFinished(uid)
    }

    /// Stops running containers within `gracePeriod` seconds. Exit events still arrive through
    /// the watcher; this waits for them so the statuses say how each container ended.
    func stopContainers(gracePeriod: Double, reason: String) async {
        for task in probes.values { task.cancel() }
        probes = [:]
        let running = containers.values.filter(\.isRunning)
        guard !running.isEmpty else { return }
        let deadline = Date().addingTimeInterval(max(0, gracePeriod))
        await withTaskGroup(of: Void.self) { group in
            for state in running {
                guard let id = state.runningID, let spec = specFor(state.name) else { continue }
                context.status.record(pod: pod, container: state.name, reason: "Killing", message: "Stopping container \(state.name)")
                containers[state.name]?.killReason = reason
                let preStop = spec.lifecycle.preStop
                group.addTask {
                    if let preStop { await self.runPreStop(preStop, spec: spec, containerID: id, deadline: deadline) }
                    await self.context.runtime.kill(id: id, signal: SIGTERM)
                }
            }
        }
        while Date() < deadline, containers.values.contains(where: \.isRunning) {
            try? await Task.sleep(for: .milliseconds(50))
        }
        for state in containers.values {
            if let id = state.runningID { await context.runtime.kill(id: id, signal: SIGKILL) }
        }
        // The monitor reports the exit within milliseconds of the SIGKILL.
        let hardDeadline = Date().addingTimeInterval(5)
        while Date() < hardDeadline, containers.values.contains(where: \.isRunning) {
            try? await Task.sleep(for: .milliseconds(20))
        }
        for state in containers.values {
            if let id = state.runningID { await containerExited(id: id) }
        }
    }

    /// Kills one container (liveness failure, failed postStart); its exit then follows the
    /// restart policy like any other.
    func killContainer(name: String, reason: String, message: String) async {
        guard let state = containers[name], let id = state.runningID, let spec = specFor(name) else { return }
        containers[name]?.killReason = reason
        context.status.record(pod: pod, container: name, reason: "Killing", message: message)
        let grace = Double(pod.spec.terminationGracePeriodSeconds)
        let deadline = Date().addingTimeInterval(grace)
        if let preStop = spec.lifecycle.preStop { await runPreStop(preStop, spec: spec, containerID: id, deadline: deadline) }
        await context.runtime.kill(id: id, signal: SIGTERM)
        let driver = context.runtime
        Task {
            while Date() < deadline {
                try? await Task.sleep(for: .milliseconds(100))
                guard self.containers[name]?.runningID == id else { return }
            }
            await driver.kill(id: id, signal: SIGKILL)
        }
    }
}
