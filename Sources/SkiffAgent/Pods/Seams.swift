import SkiffAPI

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
    func setUp(pod: JSON) async throws -> SandboxInfo
    func tearDown(podUID: String) async
}

/// An image ready to run: its read-only root filesystem and its config.
struct ResolvedImage: Sendable {
    var reference: String
    var imageID: String
    var rootfs: String
    var defaults: ImageDefaults
}

/// The local image store and per-container overlay mounts.
protocol ImageProvider: Sendable {
    func resolve(_ reference: String) throws -> ResolvedImage
    /// Mounts a writable overlay of the image for one container; returns the merged directory.
    func mountRootfs(_ image: ResolvedImage, containerDirectory: String) throws -> String
    func unmountRootfs(containerDirectory: String)
}

/// The image name a manifest uses to run a host program as a pod (see docs/agent.md).
let hostProcessImage = "skiff.dev/host"
