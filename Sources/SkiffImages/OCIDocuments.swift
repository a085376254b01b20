/// The image-spec documents the importer reads (image-layout, index, manifest, config). Docker's
/// equivalent media types (from `docker save` and registries) are accepted alongside OCI's.
enum MediaType {
    static let ociIndex = "application/vnd.oci.image.index.v1+json"
    static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"

    static func isIndex(_ type: String?) -> Bool { type == ociIndex || type == dockerManifestList }
    static func isManifest(_ type: String?) -> Bool { type == ociManifest || type == dockerManifest }

    /// How a layer blob is compressed, from its media type; nil for a type that is not a layer
    /// we can unpack.
    static func layerCompression(_ type: String) -> LayerCompression? {
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

enum LayerCompression: Sendable { case uncompressed, gzip, zstd }

struct Platform: Codable, Sendable {
    var architecture: String
    var os: String
    var variant: String?
}

struct Descriptor: Codable, Sendable {
    var mediaType: String?
    var digest: String
    var size: Int64
    var platform: Platform?
    var annotations: [String: String]?
}

/// index.json and nested indexes (also Docker manifest lists).
struct ImageIndex: Codable, Sendable {
    var schemaVersion: Int?
    var mediaType: String?
    var manifests: [Descriptor]
}

struct ImageManifest: Codable, Sendable {
    var schemaVersion: Int?
    var mediaType: String?
    var config: Descriptor
    var layers: [Descriptor]
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
