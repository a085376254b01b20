import FoundationEssentials
import Logging
import SkiffAPI
import SkiffSystem

/// Drives one pod to its spec: sandbox, init containers in order, app containers with their
/// restart policy and back-off, probes, termination, and the status it reports. Every change
/// funnels through `requestSync`, which runs one sync at a time.
actor PodWorker {
    let uid: String
    let context: AgentContext
    var pod: Pod
    var lifecycle: PodLifecycle = .running
    var sandbox: SandboxInfo?
    var containers: [String: ContainerState] = [:]
    var startTime: Date?
    /// Why the pod was evicted or refused for node pressure (the Evicted status message).
    var evictionMessage: String?
    /// An eviction whose containers the next sync stops; `evict` waits on these for it.
    var evictionPending = false
    var evictionWaiters: [CheckedContinuation<Void, Never>] = []
    private var sync: SyncState = .idle
    private var wakeTask: Task<Void, Never>?
    var reportedStatus: JSON = .null
    var probes: [String: Task<Void, Never>] = [:]
    /// Containers whose exit event we are handling, so two events do not race.
    var exitsInFlight: Set<String> = []
    /// Containers being created or started: an exit that arrives before the start returns is
    /// kept here and handled once it does.
    var startsInFlight: [String: Bool] = [:]
    /// Containers whose last image pull failed, by name: ImagePullBackOff until it expires.
    var imagePullBackOffs: [String: ImagePullBackOff] = [:]
    let onFinished: @Sendable (String) -> Void

    var logger: Logger {
        var logger = context.logger
        logger[metadataKey: "pod"] = "\(pod.key)"
        return logger
    }

    init(pod: Pod, context: AgentContext, onFinished: @escaping @Sendable (String) -> Void) {
        self.uid = pod.uid
        self.pod = pod
        self.context = context
        self.onFinished = onFinished
        for container in pod.spec.initContainers {
            containers[container.name] = ContainerState(name: container.name, isInit: true)
        }
        for container in pod.spec.containers {
            containers[container.name] = ContainerState(name: container.name, isInit: false)
        }
    }

    // MARK: events in

    func update(_ newPod: Pod) {
        pod = newPod
        if newPod.isBeingDeleted { lifecycle.requestTermination() }
        requestSync()
    }

    func markRemoved() {
        lifecycle.requestTermination()
        requestSync()
    }

    /// One sync at a time; a request during a sync runs one more after it.
    func requestSync() {
        switch sync {
        case .idle:
            sync = .running
            Task { await self.syncLoop() }
        case .running: sync = .runningWithPending
        case .runningWithPending: break
        }
    }

    private func syncLoop() async {
        while true {
            await syncOnce()
            guard sync == .runningWithPending else { break }
            sync = .running
        }
        sync = .idle
    }

    /// Schedules a sync at `date` (back-off expiry, retrying a missing image).
    func wake(at date: Date) {
        wakeTask?.cancel()
        let delay = max(0, date.timeIntervalSinceNow)
        wakeTask = Task { [weak self] in
            try? await Task.sleep(for: .seconds(delay))
            guard !Task.isCancelled else { return }
            await self?.requestSync()
        }
    }

    // MARK: the sync

    private func syncOnce() async {
        switch lifecycle {
        case .terminated: return
        case .terminating:
            await terminatePod()
            return
        case .finished:
            if evictionPending { await stopEvictedPod() }
            await reportStatus()
            return
        case .running: break
        }
        if startTime == nil { startTime = Date() }
        if sandbox == nil {
            do {
                try await setUpSandbox()
            } catch {
                context.status.record(
                    pod: pod, container: nil, type: "Warning", reason: "FailedCreatePodSandBox", message: "Failed to create pod sandbox: \(error)")
                await reportStatus()
                wake(at: Date().addingTimeInterval(10))
                return
            }
        }
        // An exit is reported before the restart it leads to, as the kubelet's status manager
        // does: lastState and CrashLoopBackOff are visible even when the hold is already over.
        if containers.values.contains(where: \.hasEnded) {
            await reportStatus()
            guard lifecycle == .running else { return }
        }
        if await runInitContainers(), lifecycle == .running {
            await runAppContainers()
        }
        // Deleted while containers were starting: the next sync terminates.
        guard lifecycle == .running else { return }
        persist()
        await reportStatus()
        if isFinal() { await finish() }
    }

    private func setUpSandbox() async throws {
        try context.cgroups.create(for: pod)
        var info = try await context.sandboxes.setUp(pod: pod)
        // hostNetwork pods have the node's address, as in Kubernetes.
        if info.podIP.isEmpty { info.podIP = context.hostIP }
        sandbox = info
        persist()
    }

    /// Runs init containers one after another; true once all have succeeded.
    private func runInitContainers() async -> Bool {
        for spec in pod.spec.initContainers {
            let name = spec.name
            guard let state = containers[name] else { continue }
            if let termination = state.termination, termination.exitCode == 0 { continue }
            if state.isRunning { return false }
            if let termination = state.termination, termination.exitCode != 0, pod.spec.restartPolicy == .never { return false }
            if waitingForBackoff(name) { return false }
            await startContainer(spec)
            return false
        }
        return true
    }

    private func runAppContainers() async {
        for spec in pod.spec.containers {
            let name = spec.name
            guard let state = containers[name], !state.isRunning else { continue }
            if let termination = state.termination, !pod.spec.restartPolicy.restarts(exitCode: termination.exitCode) { continue }
            if waitingForBackoff(name) { continue }
            await startContainer(spec)
            guard lifecycle == .running else { return }
        }
    }

    /// True while a restart is held back; then the container waits in CrashLoopBackOff and a
    /// wake-up is set for the end of the hold.
    private func waitingForBackoff(_ name: String) -> Bool {
        guard let state = containers[name], let after = state.restartAfter, after > Date() else { return false }
        enterBackOff(name)
        wake(at: after)
        return true
    }

    /// The CrashLoopBackOff waiting state and the BackOff event, once per hold. The exit handler
    /// enters it as soon as the hold is decided, so the state is reported even when the next
    /// sync runs only after the hold has ended (a short hold on a busy host).
    func enterBackOff(_ name: String) {
        guard let state = containers[name], state.restartAfter != nil else { return }
        if case .waiting(let reason, _) = state.phase, reason == "CrashLoopBackOff" { return }
        let message =
            "back-off \(GoDuration.string(seconds: state.restartDelaySeconds)) restarting failed container=\(name) pod=\(pod.name)_\(pod.namespace)(\(uid))"
        containers[name]?.lastTermination = state.termination ?? state.lastTermination
        containers[name]?.phase = .waiting(reason: "CrashLoopBackOff", message: message)
        context.status.record(
            pod: pod, container: name, type: "Warning", reason: "BackOff", message: "Back-off restarting failed container \(name) in pod \(pod.name)")
    }

    /// The pod is done when no container will run again (restartPolicy Never/OnFailure).
    func isFinal() -> Bool {
        podPhase().isFinal
    }

    /// A finished pod keeps its status and logs but gives back its IP and cgroup.
    private func finish() async {
        guard lifecycle == .running else { return }
        lifecycle = .finished
        for task in probes.values { task.cancel() }
        probes = [:]
        await context.sandboxes.tearDown(podUID: uid)
        persist()
    }

    // MARK: persistence

    func persist() {
        var record = PodRecord(
            pod: pod, containers: Array(containers.values), finished: lifecycle == .finished, startTime: startTime, podIP: sandbox?.podIP)
        record.evictionMessage = evictionMessage
        do {
            try record.save(podsDirectory: context.configuration.podsDirectory, uid: uid)
        } catch {
            logger.error("cannot save pod state", metadata: ["error": "\(error)"])
        }
    }

    /// Takes back a pod a previous agent ran: its containers' records, and their exits if they
    /// ended while no agent was watching.
    func restore(from saved: PodRecord) async {
        for state in saved.containers where containers[state.name] != nil {
            containers[state.name] = state
        }
        if saved.finished { lifecycle = .finished }
        evictionMessage = saved.evictionMessage
        // An agent stopped mid-eviction: the next sync finishes it.
        evictionPending = evictionMessage != nil && saved.containers.contains(where: \.isRunning)
        startTime = saved.startTime
        if let ip = saved.podIP, lifecycle == .running {
            // Re-running setUp is idempotent and gives back the same namespaces and files.
            sandbox = try? await context.sandboxes.setUp(pod: pod)
            if sandbox?.podIP.isEmpty == true { sandbox?.podIP = context.hostIP }
            if sandbox == nil { logger.warning("could not re-adopt sandbox", metadata: ["ip": "\(ip)"]) }
        }
        for state in containers.values {
            guard let id = state.runningID else { continue }
            do {
                try context.exits.watch(containerID: id, directory: context.containerDirectory(id))
            } catch {
                logger.warning("cannot watch re-adopted container", metadata: ["id": "\(id)", "error": "\(error)"])
            }
            startProbes(for: state.name)
        }
        // A container whose monitor is gone without writing exit.json was lost with its host (a
        // reboot: the monitor and container killed, the runtime's state on /run wiped). Nothing
        // will ever report its exit, so it exited now, status unknown, and the restart policy
        // decides what comes next — as kubelet does with containers a reboot took.
        for state in containers.values {
            guard let id = state.runningID, !FileSystem.exists(context.containerDirectory(id) + "/exit.json"),
                !Self.monitorRuns(pid: state.monitorPID, containerID: id)
            else { continue }
            logger.warning("re-adopted container is gone with its monitor", metadata: ["id": "\(id)"])
            await containerExited(id: id)
        }
    }

    /// Whether `pid` is still the monitor of container `id` (its command line names the id, so a
    /// reused pid does not count).
    static func monitorRuns(pid: Int32, containerID id: String) -> Bool {
        guard pid > 0, let commandLine = try? FileSystem.readString("/proc/\(pid)/cmdline") else { return false }
        let arguments = commandLine.split(separator: "\0", omittingEmptySubsequences: false)
        return zip(arguments, arguments.dropFirst()).contains { $0 == "--id" && $1 == id }
    }
}

/// Where a pod is in its life on this node. Each state is left only forward: a finished pod may
/// still be deleted, a terminated one is never touched again.
enum PodLifecycle: Sendable, Equatable {
    /// Running its spec: starting, restarting and probing containers.
    case running
    /// No container will run again (restartPolicy Never/OnFailure): status and logs are kept,
    /// the IP and cgroup given back.
    case finished
    /// Deleted, or gone from the API: stopping containers with their grace period.
    case terminating
    /// Stopped and cleaned up; the worker is done.
    case terminated

    mutating func requestTermination() {
        if self == .running || self == .finished { self = .terminating }
    }
}

/// Whether a sync is running, and whether another was asked for meanwhile.
private enum SyncState: Sendable, Equatable {
    case idle, running, runningWithPending
}
