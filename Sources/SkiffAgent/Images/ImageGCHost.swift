/// What the image garbage collector measures and acts on: the agent's image store and pods
/// (`AgentImageGCHost`), or a fake in tests.
protocol ImageGCHost: Sendable {
    /// Capacity and available bytes of the image filesystem; nil when it cannot be read.
    func usage() async -> (capacity: Int64, available: Int64)?
    /// Every stored image, with whether a container uses it; marks the used ones used now.
    func images() async -> [ImageGCCandidate]
    /// Deletes the image (and the blobs only it used); returns the bytes freed.
    func remove(digest: String) async throws -> Int64
    /// Deletes the blobs no image references; returns the bytes freed.
    func removeUnreferencedBlobs() async -> Int64
    /// A Warning event about the node, as the kubelet records FreeDiskSpaceFailed.
    func warn(reason: String, message: String)
}
