import FoundationEssentials
import SkiffAPI
import SkiffLogs
import SkiffNodeAPI
import SkiffSystem
import Synchronization

/// What the node API serves, from the running agent: container logs, exec, stats and pods.
struct AgentNodeBackend: NodeAPIBackend {
    /// Set once the node is registered and the pod manager exists; until then requests get 404.
    let runtime: LateBound<AgentRuntime>

    struct AgentRuntime: Sendable {
        let context: AgentContext
        let manager: PodManager
        let stats: StatsCollector
    }

    private func current() throws -> AgentRuntime {
        guard let value = runtime.value else { throw NodeAPIError.notFound("the agent is still starting") }
        return value
    }

    private func worker(namespace: String, pod: String) async throws -> PodWorker {
        let runtime = try current()
        for worker in await runtime.manager.allWorkers() {
            let running = await worker.pod
            if running.namespace == namespace && running.name == pod { return worker }
        }
        throw NodeAPIError.notFound("pod \(namespace)/\(pod) is not running on this node")
    }

    func logs(namespace: String, pod: String, container: String, options: SkiffNodeAPI.LogOptions) async throws -> AsyncThrowingStream<[UInt8], any Error> {
        let worker = try await worker(namespace: namespace, pod: pod)
        guard let location = await worker.logLocation(container: container, previous: options.previous) else {
            throw NodeAPIError.notFound(
                options.previous
                    ? "previous terminated container \"\(container)\" in pod \"\(pod)\" not found"
                    : "container \"\(container)\" in pod \"\(pod)\" has no logs yet")
        }
        var readOptions = SkiffLogs.LogOptions(tailLines: options.tailLines, timestamps: options.timestamps, limitBytes: options.limitBytes)
        if let sinceSeconds = options.sinceSeconds {
            let now = CRITimestamp.now()
            readOptions.sinceTime = CRITimestamp(seconds: now.seconds - Int64(sinceSeconds))
        } else if let sinceTime = options.sinceTime {
            readOptions.sinceTime = CRITimestamp(sinceTime)
        }
        let log = ContainerLog(path: location.path)
        if !options.follow || !location.running {
            let bytes = try log.read(readOptions)
            return AsyncThrowingStream { continuation in
                continuation.yield(bytes)
                continuation.finish()
            }
        }
        let containerID = location.containerID
        let follow = log.follow(readOptions) {
            await worker.runningContainerID(container) != containerID
        }
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    for try await chunk in follow { continuation.yield(chunk) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    func exec(namespace: String, pod: String, container: String, command: [String], tty: Bool) async throws -> any ExecSession {
        let worker = try await worker(namespace: namespace, pod: pod)
        guard let id = await worker.runningContainerID(container) else {
            throw NodeAPIError.badRequest("container \(container) is not running")
        }
        guard !command.isEmpty else { throw NodeAPIError.badRequest("you must specify at least one command for the container") }
        let context = try current().context
        let (runtimePath, runtimeRoot, bundle) = (context.configuration.runtimePath, context.configuration.runtimeRoot, context.containerDirectory(id))
        // Starting waits for skiff-runc (and with a tty for its console socket): off the cooperative pool.
        return try await blocking {
            try ContainerExecSession.start(runtimePath: runtimePath, runtimeRoot: runtimeRoot, containerID: id, bundle: bundle, command: command, tty: tty)
        }
    }

    func attach(namespace: String, pod: String, container: String, stdin: Bool) async throws -> any ExecSession {
        let worker = try await worker(namespace: namespace, pod: pod)
        guard let spec = await worker.pod.spec.container(named: container) else {
            throw NodeAPIError.notFound("container \(container) not found in pod \(namespace)/\(pod)")
        }
        guard let id = await worker.runningContainerID(container) else {
            throw NodeAPIError.badRequest("container \(container) is not running")
        }
        // The monitor keeps stdin and the terminal only for containers made for attach.
        if stdin && !spec.stdin {
            throw NodeAPIError.badRequest(
                "container \(container) in pod \(namespace)/\(pod) was not created with stdin: true, so it has no stdin to attach to; use kubectl exec -i")
        }
        guard ContainerStdio(spec).attachable else {
            guard let location = await worker.logLocation(container: container, previous: false), location.containerID == id else {
                throw NodeAPIError.badRequest("container \(container) is not running")
            }
            return LogAttachSession.start(log: ContainerLog(path: location.path)) { await worker.runningContainerID(container) != id }
        }
        let directory = try current().context.containerDirectory(id)
        return try await blocking { try ContainerAttachSession.connect(directory: directory, stdin: stdin) }
    }

    func portForward(namespace: String, pod: String, port: UInt16) async throws -> ConnectedSocket {
        let worker = try await worker(namespace: namespace, pod: pod)
        guard let sandbox = await worker.sandbox else { throw NodeAPIError.badRequest("pod \(namespace)/\(pod) has no network yet") }
        // A host-network pod has no namespace of its own: its loopback is the node's.
        let namespacePath = sandbox.paths.network
        // Entering the namespace waits for a clone child: off the cooperative pool.
        let descriptor = try await blocking { try NamespacedConnect.loopback(networkNamespace: namespacePath, port: port) }
        return ConnectedSocket(descriptor: descriptor)
    }

    func statsSummary() async throws -> [UInt8] { try await current().stats.summaryJSON() }
    func resourceMetrics() async throws -> [UInt8] { try await current().stats.resourceMetrics() }
    func cadvisorMetrics() async throws -> [UInt8] { try await current().stats.cadvisorMetrics() }
    func statsHistory(namespace: String, pod: String) async throws -> [UInt8] {
        try current().stats.historyJSON(namespace: namespace, pod: pod)
    }

    func pods() async throws -> [UInt8] {
        var items: [JSON] = []
        for worker in try await current().manager.allWorkers() {
            items.append(await worker.pod.json)
        }
        return JSON.object(["kind": "PodList", "apiVersion": "v1", "metadata": .emptyObject, "items": .array(items)]).bytes
    }
}

extension PodWorker {
    /// The CRI log file of a container's current (or previous) instance.
    func logLocation(container: String, previous: Bool) -> (path: String, running: Bool, containerID: String?)? {
        guard let state = containers[container] else { return nil }
        let directory = "\(context.podLogDirectory(pod))/\(container)"
        if previous {
            // Run k logs to k.log, k = restartCount when it started. Running or terminated, run
            // restartCount is the current one and the previous is the run before; waiting in
            // CrashLoopBackOff, restartCount is the run that just died, which is what
            // lastState (and so --previous) shows.
            guard state.lastTermination != nil || state.restartCount > 0 else { return nil }
            let run = state.isRunning || state.termination != nil ? state.restartCount - 1 : state.restartCount
            guard run >= 0 else { return nil }
            return ("\(directory)/\(run).log", false, nil)
        }
        guard state.hasRun else { return nil }
        return ("\(directory)/\(state.restartCount).log", state.isRunning, state.runningID)
    }

    func runningContainerID(_ container: String) -> String? { containers[container]?.runningID }
}

/// A value set once after start-up and read from any thread.
final class LateBound<Value: Sendable>: Sendable {
    private let storage = Mutex<Value?>(nil)

    var value: Value? {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}
