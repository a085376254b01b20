import SkiffAPI

extension PodWorker {
    /// Seconds a hard eviction gives containers between SIGTERM and SIGKILL (the kubelet's
    /// immediate-eviction grace period): the node is short of something now.
    static let evictionGracePeriodSeconds = 1.0

    /// Stops the pod for node pressure, as the kubelet's eviction manager does: a Warning event
    /// "Evicted", the containers killed and never restarted, the pod network and cgroup given
    /// back, and the status phase Failed with reason Evicted and `message`. The pod object stays
    /// for its owner to replace. Returns once the containers are gone; false when the pod is not
    /// running here (finished, or being deleted).
    func evict(message: String) async -> Bool {
        guard lifecycle == .running, !pod.isBeingDeleted else { return false }
        // From here no exit restarts a container and no sync starts one. The stopping itself
        // is the sync loop's, like a deletion's, so it never overlaps a start in flight.
        lifecycle = .finished
        evictionMessage = message
        evictionPending = true
        persist()
        context.status.record(pod: pod, container: nil, type: "Warning", reason: "Evicted", message: message)
        await withCheckedContinuation { continuation in
            evictionWaiters.append(continuation)
            requestSync()
        }
        return true
    }

    /// The sync loop's part of an eviction: stop the containers, release the sandbox and cgroup.
    func stopEvictedPod() async {
        await stopContainers(gracePeriod: Self.evictionGracePeriodSeconds, reason: "Evicted")
        await context.sandboxes.tearDown(podUID: uid)
        // Page cache and tmpfs pages stay charged to the cgroup until it is gone.
        context.cgroups.remove(for: pod)
        evictionPending = false
        persist()
        resumeEvictionWaiters()
    }

    /// Lets `evict` return: the containers are stopped, by the eviction or by a deletion that
    /// overtook it.
    func resumeEvictionWaiters() {
        for waiter in evictionWaiters { waiter.resume() }
        evictionWaiters = []
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
