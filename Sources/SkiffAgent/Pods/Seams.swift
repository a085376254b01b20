import SkiffAPI
import SkiffOCI
import SkiffRegistry

/// What the pod's sandbox gave it: an IP and the namespaces its containers join.
struct SandboxInfo: Sendable, Equatable {
    var podIP: String
    var paths: SandboxPaths
    /// /etc/hosts, /etc/resolv.conf and /etc/hostname for the containers.
    var files: [PreparedMount]

    static func == (lhs: SandboxInfo, rhs: SandboxInfo) -> Bool {
        lhs.podIP == rhs.podIP && lhs.files == rhs.files && lhs.paths.network == rhs.paths.network
    }
}

/// The pod network (CNI) and its pinned namespaces. A seam so worker logic tests without root.
protocol PodSandboxes: Sendable {
    func setUp(pod: Pod) async throws -> SandboxInfo
    func tearDown(podUID: String) async
}

/// An image ready to run: its read-only root filesystem and its config.
struct ResolvedImage: Sendable {
    var reference: String
    var imageID: String
    /// `repository@sha256:<manifest digest>`, what containerStatuses[].imageID shows.
    var repoDigest: String = ""
    /// Came from `skiff image import`, not from a registry: no registry has it to ask.
    var imported = false
    var rootfs: String
    var defaults: ImageDefaults
}

/// The local image store, pulls from registries, and per-container overlay mounts.
protocol ImageProvider: Sendable {
    /// The stored image `reference` names; throws when it is not on the node.
    func resolve(_ reference: String) throws -> ResolvedImage
    /// Pulls `reference` from its registry, offering each of `credentials` that has an entry for
    /// it (then the node's own); returns the image's size in bytes.
    func pull(_ reference: String, credentials: [DockerConfig]) async throws -> Int64
    /// Mounts a writable overlay of the image for one container; returns the merged directory.
    func mountRootfs(_ image: ResolvedImage, containerDirectory: String) throws -> String
    func unmountRootfs(containerDirectory: String)
}

/// The image name a manifest uses to run a host program as a pod (see docs/agent.md).
let hostProcessImage = "skiff.dev/host"

/// The container runtime as a pod worker drives it: skiff-runc under a per-container monitor
/// (`RuntimeDriver`), or a fake that runs nothing.
protocol ContainerRuntime: Sendable {
    /// Creates the container under its monitor; returns its init pid and the monitor's pid.
    func create(id: String, bundle: String, stateDirectory: String, logPath: String, stdio: ContainerStdio) async throws -> (pid: Int32, monitor: Int32)
    func start(id: String) async throws
    /// Signals the container's init; a container that already stopped is not an error.
    func kill(id: String, signal: Int32) async
    func delete(id: String) async
    /// Runs a process in the container to completion (exec probes, hooks), killed after `timeout`.
    func execAndWait(id: String, process: RuntimeSpec.Process, timeout: Double) async throws -> (exitCode: Int32, output: String)
    /// Collects the monitor once its container has ended.
    func reap(monitor pid: Int32) async
}

/// How a container's stdin and terminal are set up (the pod spec's `stdin`, `stdinOnce`, `tty`).
/// With stdin or a tty the monitor serves attach sessions; without both it costs nothing more.
struct ContainerStdio: Sendable, Equatable {
    var stdin = false
    var stdinOnce = false
    var tty = false

    init(stdin: Bool = false, stdinOnce: Bool = false, tty: Bool = false) {
        self.stdin = stdin
        self.stdinOnce = stdinOnce
        self.tty = tty
    }

    init(_ container: Container) {
        self.init(stdin: container.stdin, stdinOnce: container.stdinOnce, tty: container.tty)
    }

    var attachable: Bool { stdin || tty }

    /// The monitor's flags for it.
    var monitorArguments: [String] {
        (stdin ? ["--stdin"] : []) + (stdin && stdinOnce ? ["--stdin-once"] : []) + (tty ? ["--tty"] : [])
    }
}

/// Tells the agent when a container's monitor has written exit.json (the kubelet's pod
/// lifecycle event generator): `ExitWatcher` on inotify, or a fake.
protocol ContainerExitEvents: Sendable {
    /// Reports `containerID` once `directory/exit.json` exists, at once if it already does.
    func watch(containerID: String, directory: String) throws
    func unwatch(containerID: String)
}

/// Where a pod worker reports what happened: the pod's status and events, and the end of a
/// graceful deletion. The API server in the agent; a recording fake in tests.
protocol PodStatusSink: Sendable {
    /// Merge-patches the pod's status; returns the pod as the server now has it.
    func patchStatus(namespace: String, name: String, status: JSON) async throws -> Pod
    /// Deletes the pod for good (grace 0) once its containers are gone; nil when it already was,
    /// or a new pod took its name.
    func confirmDeletion(namespace: String, name: String, uid: String) async throws
    /// A core/v1 Event about a pod, recorded off the caller's path.
    func record(_ subject: PodEventSubject, type: String, reason: String, message: String)
}

extension PodStatusSink {
    /// An event about the pod, or about one of its containers.
    func record(pod: Pod, container: String?, type: String, reason: String, message: String) {
        let fieldPath = container.map { "spec.\(pod.spec.isInitContainer($0) ? "initContainers" : "containers"){\($0)}" }
        record(
            PodEventSubject(namespace: pod.namespace, name: pod.name, uid: pod.uid, fieldPath: fieldPath),
            type: type, reason: reason, message: message)
    }

    func record(pod: Pod, container: String?, reason: String, message: String) {
        record(pod: pod, container: container, type: "Normal", reason: reason, message: message)
    }
}

/// What an event is about (its involvedObject): a pod, and the container's field path if any.
struct PodEventSubject: Sendable, Equatable {
    var namespace: String
    var name: String
    var uid: String
    /// `spec.containers{name}`, as the kubelet writes it.
    var fieldPath: String?
}

/// ConfigMaps and Secrets a pod's volumes and environment name, and its service-account tokens.
protocol ObjectReader: Sendable {
    /// The object at an API path; throws `APIClientError` 404 when it does not exist.
    func get(_ path: String) async throws -> JSON
    /// POSTs `object` to a collection or subresource path (a TokenRequest); returns the answer.
    func create(_ path: String, _ object: JSON) async throws -> JSON
}

extension APIClient: ObjectReader {}
