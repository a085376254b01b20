import FoundationEssentials
import Glibc
import Logging
import SkiffAPI
import SkiffOCI
import SkiffRegistry
import SkiffSystem
import Synchronization

@testable import SkiffAgent

/// A container runtime that runs nothing. What a container does comes from its command, which
/// the worker puts in config.json as it would for skiff-runc: `[label, behaviour, exit code]`.
///   - `exit <code>`: ends as soon as it starts
///   - `exit-during-start <code>`: ends (and says so) before `start` has returned
///   - `run`: runs until SIGTERM or SIGKILL
///   - `ignore-term`: runs until SIGKILL
/// Every call is logged as `"<call> <label>"`, so tests can check the order things happened in.
final class FakeRuntime: ContainerRuntime {
    struct Container: Sendable {
        var label: String
        var behaviour: String
        var code: Int32
        var directory: String
    }

    private let state = Mutex<(containers: [String: Container], log: [String], starts: [String: [ContinuousClock.Instant]])>(([:], [], [:]))
    let exits = LateBound<FakeExitEvents>()

    var log: [String] { state.withLock { $0.log } }
    func starts(_ label: String) -> [ContinuousClock.Instant] { state.withLock { $0.starts[label] ?? [] } }

    func create(id: String, bundle: String, stateDirectory: String, logPath: String, stdio: ContainerStdio) async throws -> (pid: Int32, monitor: Int32) {
        // Read as skiff-runc reads it, so every worker test also checks the config the agent wrote.
        let config = try RuntimeSpec.decode(FileSystem.readBytes(bundle + "/config.json"), what: "config.json")
        let args = config.process?.args ?? []
        let container = Container(
            label: args.first ?? "?", behaviour: args.count > 1 ? args[1] : "run", code: Int32(args.count > 2 ? args[2] : "0") ?? 0,
            directory: stateDirectory)
        state.withLock {
            $0.containers[id] = container
            $0.log.append("create \(container.label)")
        }
        return (pid: 4242, monitor: 0)
    }

    func start(id: String) async throws {
        guard
            let container = state.withLock({ state -> Container? in
                guard let container = state.containers[id] else { return nil }
                state.log.append("start \(container.label)")
                state.starts[container.label, default: []].append(.now)
                return container
            })
        else { throw ContainerRuntimeError(reason: "RunContainerError", message: "no container \(id)") }
        switch container.behaviour {
        case "exit":
            exit(id, code: container.code)
        case "exit-during-start":
            exit(id, code: container.code)
            // Hold the start open long enough for the exit to reach the worker first.
            try await Task.sleep(for: .milliseconds(50))
        default: break
        }
    }

    func kill(id: String, signal: Int32) async {
        guard
            let container = state.withLock({ state -> Container? in
                guard let container = state.containers[id] else { return nil }
                state.log.append("kill \(signal == SIGKILL ? "KILL" : "TERM") \(container.label)")
                return container
            })
        else { return }
        if signal == SIGKILL || container.behaviour != "ignore-term" { exit(id, code: 128 + signal, signal: signal) }
    }

    func delete(id: String) async {
        state.withLock { state in
            if let container = state.containers.removeValue(forKey: id) { state.log.append("delete \(container.label)") }
        }
    }

    func execAndWait(id: String, process: RuntimeSpec.Process, timeout: Double) async throws -> (exitCode: Int32, output: String) { (0, "") }

    func reap(monitor pid: Int32) async {}

    /// Writes exit.json as skiff-monitor does and tells the worker through the exit events.
    private func exit(_ id: String, code: Int32, signal: Int32? = nil) {
        guard
            let container = state.withLock({ state -> Container? in
                guard let container = state.containers[id], !state.log.contains("exit \(id)") else { return nil }
                state.log.append("exit \(container.label)")
                return container
            })
        else { return }
        var exit: JSON = ["exitCode": .int(Int64(code)), "finishedAt": .string(Timestamp.now())]
        if let signal { exit["signal"] = .int(Int64(signal)) }
        try? FileSystem.writeAtomically(container.directory + "/exit.json", exit.serialized)
        exits.value?.deliver(id)
    }
}

/// Exit events straight to one worker, asynchronously as the inotify thread delivers them.
final class FakeExitEvents: ContainerExitEvents {
    let worker = LateBound<PodWorker>()
    private let watched = Mutex<Set<String>>([])

    func watch(containerID: String, directory: String) throws {
        watched.withLock { _ = $0.insert(containerID) }
        if FileSystem.exists(directory + "/exit.json") { deliver(containerID) }
    }

    func unwatch(containerID: String) {
        watched.withLock { _ = $0.remove(containerID) }
    }

    func deliver(_ id: String) {
        guard watched.withLock({ $0.contains(id) }) else { return }
        let worker = worker
        Task { await worker.value?.containerExited(id: id) }
    }
}

/// Records statuses, events and deletions; the server's answer is the pod with that status.
final class RecordingStatusSink: PodStatusSink {
    private let state = Mutex<(statuses: [JSON], events: [String], messages: [String], deletions: [String])>(([], [], [], []))

    var statuses: [JSON] { state.withLock { $0.statuses } }
    var events: [String] { state.withLock { $0.events } }
    var messages: [String] { state.withLock { $0.messages } }
    var deletions: [String] { state.withLock { $0.deletions } }
    var latest: JSON { statuses.last ?? .null }

    func patchStatus(namespace: String, name: String, status: JSON) async throws -> Pod {
        state.withLock { $0.statuses.append(status) }
        return try Pod(json: ["metadata": ["name": .string(name), "namespace": .string(namespace), "uid": "uid-1"], "status": status])
    }

    func confirmDeletion(namespace: String, name: String, uid: String) async throws {
        state.withLock { $0.deletions.append("\(namespace)/\(name)") }
    }

    func record(_ subject: PodEventSubject, type: String, reason: String, message: String) {
        state.withLock {
            $0.events.append(reason)
            $0.messages.append(message)
        }
    }
}

final class FakeSandboxes: PodSandboxes {
    let tornDown = Mutex<[String]>([])

    func setUp(pod: Pod) async throws -> SandboxInfo {
        SandboxInfo(podIP: "10.42.0.7", paths: SandboxPaths(), files: [])
    }

    func tearDown(podUID: String) async {
        tornDown.withLock { $0.append(podUID) }
    }
}

/// The fake node's images and registry: which images are stored (nil: every one), the pulls
/// asked for, and why pulls fail (nil: they succeed and store the image).
final class FakeImageRegistry: Sendable {
    let state = Mutex<(present: Set<String>?, pulls: [String], failure: String?, imported: Set<String>)>((nil, [], nil, []))

    var pulls: [String] { state.withLock { $0.pulls } }
}

struct FakeImages: ImageProvider {
    let root: String
    var registry = FakeImageRegistry()

    func resolve(_ reference: String) throws -> ResolvedImage {
        if let present = registry.state.withLock({ $0.present }), !present.contains(reference) {
            throw ContainerRuntimeError(reason: "NotFound", message: "image not found: \(reference)")
        }
        var image = ResolvedImage(reference: reference, imageID: "sha256:fake", rootfs: root, defaults: ImageDefaults(env: ["PATH=/bin"]))
        image.imported = registry.state.withLock { $0.imported.contains(reference) }
        return image
    }

    func pull(_ reference: String, credentials: [DockerConfig]) async throws -> Int64 {
        let failure = registry.state.withLock { state in
            state.pulls.append(reference)
            if state.failure == nil { state.present?.insert(reference) }
            return state.failure
        }
        if let failure { throw ContainerRuntimeError(reason: "Registry", message: failure) }
        return 1024
    }

    func mountRootfs(_ image: ResolvedImage, containerDirectory: String) throws -> String {
        try FileSystem.makeDirectories(containerDirectory + "/rootfs")
        return containerDirectory + "/rootfs"
    }

    func unmountRootfs(containerDirectory: String) {}
}

struct FakeCgroups: CgroupTree {
    func create(path: String, resources: RuntimeSpec.Resources) throws {}
    func remove(path: String) {}
    func oomKills(path: String) -> UInt64 { 0 }
}

struct NoObjects: ObjectReader {
    func get(_ path: String) async throws -> JSON {
        throw APIClientError(code: 404, reason: "NotFound", message: "\(path) not found")
    }

    func create(_ path: String, _ object: JSON) async throws -> JSON {
        throw APIClientError(code: 404, reason: "NotFound", message: "\(path) not found")
    }
}

/// One pod worker on fakes, in a scratch directory of its own.
struct WorkerHarness {
    let directory: String
    let runtime = FakeRuntime()
    let exits = FakeExitEvents()
    let status = RecordingStatusSink()
    let sandboxes = FakeSandboxes()
    let images = FakeImageRegistry()
    let finished = LateBound<Bool>()
    let worker: PodWorker
    /// The services the worker runs on, for building other agent pieces on the same fakes.
    let context: AgentContext

    init(pod: JSON) throws {
        directory = "/tmp/skiff-podworker-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        var configuration = AgentConfiguration(
            servers: try ServerEndpoints(["https://127.0.0.1:1"]), joinToken: "t", caCertificatePEM: "", nodeName: "node-1", dataDirectory: directory,
            podLogDirectory: directory + "/logs", runtimePath: "/bin/false", monitorPath: "/bin/false")
        configuration.initialBackoffSeconds = 0.05
        configuration.maxBackoffSeconds = 0.2
        try FileSystem.makeDirectories(directory + "/image")
        let volumes = VolumeManager(client: NoObjects(), podsDirectory: configuration.podsDirectory)
        context = AgentContext(
            configuration: configuration, runtime: runtime, sandboxes: sandboxes, images: FakeImages(root: directory + "/image", registry: images),
            volumes: volumes, environment: EnvironmentResolver(volumes: volumes),
            cgroups: PodCgroups(tree: FakeCgroups(), root: "kubepods", memoryCapacity: 8 << 30),
            status: status, specBuilder: ContainerSpecBuilder(template: ContainerSpecBuilderTests.template), exits: exits,
            hostIP: "192.0.2.1", logger: Logger(label: "test"))
        let finished = finished
        worker = PodWorker(pod: try Pod(json: pod), context: context) { _ in finished.value = true }
        runtime.exits.value = exits
        exits.worker.value = worker
    }

    static func pod(restartPolicy: String = "Always", grace: Int = 30, initContainers: [[String]] = [], containers: [[String]]) -> JSON {
        func container(_ command: [String]) -> JSON {
            ["name": .string(command[0]), "image": "fake", "command": .array(command.map { .string($0) })]
        }
        var spec: JSON = [
            "restartPolicy": .string(restartPolicy), "terminationGracePeriodSeconds": .int(Int64(grace)),
            "containers": .array(containers.map(container)),
        ]
        if !initContainers.isEmpty { spec["initContainers"] = .array(initContainers.map(container)) }
        return ["metadata": ["name": "p", "namespace": "default", "uid": "uid-1"], "spec": spec]
    }

    /// Sends the worker the pod as the API would (ADDED, MODIFIED).
    func update(_ pod: JSON) async throws {
        await worker.update(try Pod(json: pod))
    }

    /// The last reported state of a container: "running", "waiting:<reason>", "terminated:<code>".
    func containerState(_ name: String) -> String? {
        let status = self.status.latest
        let all = (status["initContainerStatuses"].array ?? []) + (status["containerStatuses"].array ?? [])
        guard let entry = all.first(where: { $0["name"].string == name }) else { return nil }
        if !entry["state"]["running"].isNull { return "running" }
        if let reason = entry["state"]["waiting"]["reason"].string { return "waiting:\(reason)" }
        if let code = entry["state"]["terminated"]["exitCode"].int { return "terminated:\(code)" }
        return nil
    }

    func restartCount(_ name: String) -> Int64 {
        (status.latest["containerStatuses"].array ?? []).first { $0["name"].string == name }?["restartCount"].int ?? -1
    }

    /// Polls until `condition` holds; false after `seconds`. Generous: the whole suite shares two
    /// cores, and a passing test returns as soon as the condition holds.
    func eventually(within seconds: Double = 20, _ condition: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return await condition()
    }

    func cleanUp() { try? FileSystem.removeTree(directory) }
}
