/// One image in the store: its names, identity, run configuration and where its unpacked root
/// filesystem lives.
public struct ImageRecord: Codable, Equatable, Sendable {
    /// The image ID as crictl and Docker show it: the config blob's digest, "sha256:…".
    public var id: String
    /// The manifest's digest (the repo digest); the store keys the unpacked rootfs by it.
    public var digest: String
    /// Normalized full names, "docker.io/library/busybox:latest", sorted. Empty for an image
    /// imported without a name.
    public var names: [String]
    public var config: ImageConfig
    public var os: String
    public var architecture: String
    /// Bytes of the image's content (manifest, config and compressed layers), as crictl reports.
    public var size: Int64
    /// Bytes of regular files in the unpacked rootfs.
    public var unpackedSize: Int64
    /// The read-only unpacked root filesystem; an overlay's lowerdir.
    public var rootfs: String

    public init(
        id: String, digest: String, names: [String], config: ImageConfig, os: String, architecture: String,
        size: Int64, unpackedSize: Int64, rootfs: String
    ) {
        self.id = id
        self.digest = digest
        self.names = names
        self.config = config
        self.os = os
        self.architecture = architecture
        self.size = size
        self.unpackedSize = unpackedSize
        self.rootfs = rootfs
    }

    /// Names in Docker's short form, "busybox:latest".
    public var shortNames: [String] {
        names.compactMap { try? ImageReference(parsing: $0).familiar }
    }
}

/// What `image.json` holds: everything but the names (kept in names.json so that moving a name
/// is one atomic write) and the rootfs path (derived from the store's root).
struct StoredImage: Codable, Sendable {
    var id: String
    var digest: String
    var config: ImageConfig
    var os: String
    var architecture: String
    var size: Int64
    var unpackedSize: Int64
}
