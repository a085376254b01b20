import SkiffAPI

extension PodWorker {
    /// Seconds a hard eviction gives containers between SIGTERM and SIGKILL (the kubelet's
    /// immediate-eviction grace period): the node is short of something now.
    static let evictionGracePeriodSeconds = 1.0

    /// Stops the pod for node pressure, as the kubelet's eviction manager does: a Warning event
    /// "Evicted", the containers killed and never restarted, the pod network given back, and the
    /// status phase Failed with reason Evicted and `message`. The pod object stays for its owner
    /// to replace. False when the pod is not running here (finished, or being deleted).
    func evict(message: String) async -> Bool {
        guard lifecycle == .running, !pod.isBeingDeleted else { return false }
        // Before the first await: an exit from here on must not restart the container.
        lifecycle = .finished
        evictionMessage = message
        persist()
        context.status.record(pod: pod, container: nil, type: "Warning", reason: "Evicted", message: message)
        await stopContainers(gracePeriod: Self.evictionGracePeriodSeconds, reason: "Evicted")
        await context.sandboxes.tearDown(podUID: uid)
        // Page cache and tmpfs pages stay charged to the cgroup until it is gone.
        context.cgroups.remove(for: pod)
        persist()
        await reportStatus()
        return true
    }

    /// Refuses a new pod the node has no room for (it is under pressure), as the kubelet's
    /// admission does: nothing is started, a Warning event "Evicted", and the status phase
    /// Failed with reason Evicted and `message`.
    func refuse(message: String) async {
        guard lifecycle == .running, sandbox == nil, !pod.isBeingDeleted else { return }
        lifecycle = .finished
        evictionMessage = message
        persist()
        context.status.record(pod: pod, container: nil, type: "Warning", reason: "Evicted", message: message)
        await reportStatus()
    }
}
