/// The image-spec documents the importer reads (image-layout, index, manifest, config). Docker's
/// equivalent media types (from `docker save` and registries) are accepted alongside OCI's.
public enum MediaType {
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"

    public static func isIndex(_ type: String?) -> Bool { type == ociIndex || type == dockerManifestList }
    public static func isManifest(_ type: String?) -> Bool { type == ociManifest || type == dockerManifest }

    /// How a layer blob is compressed, from its media type; nil for a type that is not a layer
    /// we can unpack.
    public static func layerCompression(_ type: String) -> LayerCompression? {
        switch type {
        case "application/vnd.oci.image.layer.v1.tar",
            "application/vnd.oci.image.layer.nondistributable.v1.tar",
            "application/vnd.docker.image.rootfs.diff.tar":
            .uncompressed
        case "application/vnd.oci.image.layer.v1.tar+gzip",
            "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
            "application/vnd.docker.image.rootfs.diff.tar.gzip",
            "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip":
            .gzip
        case "application/vnd.oci.image.layer.v1.tar+zstd",
            "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd":
            .zstd
        default:
            nil
        }
    }
}

/// How a layer blob is compressed.
public enum LayerCompression: Sendable { case uncompressed, gzip, zstd }

/// The platform an index entry or config names ("linux", "amd64", variant "v8").
public struct Platform: Codable, Equatable, Sendable {
    public var architecture: String
    public var os: String
    public var variant: String?

    public init(architecture: String, os: String, variant: String? = nil) {
        self.architecture = architecture
        self.os = os
        self.variant = variant
    }

    /// linux/<this machine's architecture>: the only platform a node runs.
    public static var node: Platform { ImageLayout.platform }
}

/// A content descriptor: what a blob is, its digest and size.
public struct Descriptor: Codable, Sendable {
    public var mediaType: String?
    public var digest: String
    public var size: Int64
    public var platform: Platform?
    public var annotations: [String: String]?

    public init(mediaType: String?, digest: String, size: Int64, platform: Platform? = nil, annotations: [String: String]? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.platform = platform
        self.annotations = annotations
    }
}

/// index.json and nested indexes (also Docker manifest lists).
public struct ImageIndex: Codable, Sendable {
    public var schemaVersion: Int?
    public var mediaType: String?
    public var manifests: [Descriptor]

    public init(schemaVersion: Int? = 2, mediaType: String?, manifests: [Descriptor]) {
        self.schemaVersion = schemaVersion
        self.mediaType = mediaType
        self.manifests = manifests
    }
}

/// An image manifest (OCI or Docker schema 2): its config and layers.
public struct ImageManifest: Codable, Sendable {
    public var schemaVersion: Int?
    public var mediaType: String?
    public var config: Descriptor
    public var layers: [Descriptor]
}

/// The image configuration blob; only the parts a kubelet needs.
struct ImageConfigFile: Codable, Sendable {
    struct RootFS: Codable, Sendable {
        var type: String
        var diffIDs: [String]

        enum CodingKeys: String, CodingKey {
            case type
            case diffIDs = "diff_ids"
        }
    }
    var architecture: String?
    var os: String?
    var config: ImageConfig?
    var rootfs: RootFS?
}

struct LayoutVersion: Codable, Sendable {
    var imageLayoutVersion: String
}
