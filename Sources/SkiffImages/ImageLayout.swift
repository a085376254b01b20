import FoundationEssentials
import Glibc
import SkiffSystem

/// An OCI image layout directory (oci-layout, index.json, blobs/sha256/…) being imported: finds
/// the manifest for this machine's platform and checks every blob it uses against its digest.
struct ImageLayout {
    let path: String

    /// The manifest chosen for this platform and what the index said about it.
    struct Selection {
        var manifestDescriptor: Descriptor
        var manifest: ImageManifest
        var config: ImageConfigFile
        /// Names from the index entry's annotations, as written there.
        var annotatedNames: [String]
    }

    static let platform = Platform(architecture: currentArchitecture, os: "linux")

    static var currentArchitecture: String {
        #if arch(x86_64)
            "amd64"
        #elseif arch(arm64)
            "arm64"
        #else
            "unknown"
        #endif
    }

    init(path: String) throws(ImageError) {
        self.path = path
        guard FileSystem.isDirectory(path) else { throw .notALayout(path, "not a directory or tar archive") }
        let versionFile = path + "/oci-layout"
        guard FileSystem.exists(versionFile) else { throw .notALayout(path, "no oci-layout file") }
        let version: LayoutVersion = try Self.decode(try Self.read(versionFile), what: "oci-layout")
        guard version.imageLayoutVersion.hasPrefix("1.") else {
            throw .notALayout(path, "unsupported imageLayoutVersion \(version.imageLayoutVersion.quoted)")
        }
        guard FileSystem.exists(path + "/index.json") else { throw .notALayout(path, "no index.json") }
    }

    func blobPath(_ digest: String) -> String { path + "/blobs/sha256/" + Digest.hex(digest) }

    /// Picks the manifest for linux/<this architecture>, following nested indexes.
    func select() throws(ImageError) -> Selection {
        let index: ImageIndex = try Self.decode(try Self.read(path + "/index.json"), what: "index.json")
        var seen: [String] = []
        for entry in index.manifests {
            if let selection = try select(entry, inheritedNames: Self.names(entry), depth: 0, seen: &seen) {
                return selection
            }
        }
        let found = seen.isEmpty ? "the index lists no manifests" : "found only " + seen.joined(separator: ", ")
        throw .invalidImage("no manifest for \(Self.platform.os)/\(Self.platform.architecture) in \(path): \(found)")
    }

    private func select(_ entry: Descriptor, inheritedNames: [String], depth: Int, seen: inout [String]) throws(ImageError) -> Selection? {
        if let platform = entry.platform, platform.os != Self.platform.os || platform.architecture != Self.platform.architecture {
            seen.append("\(platform.os)/\(platform.architecture)")
            return nil
        }
        let bytes = try readBlob(entry)
        if MediaType.isIndex(entry.mediaType) {
            guard depth < 8 else { throw .invalidImage("indexes nested more than 8 deep at \(entry.digest)") }
            let nested: ImageIndex = try Self.decode(bytes, what: "index \(entry.digest)")
            for child in nested.manifests {
                let names = inheritedNames.isEmpty ? Self.names(child) : inheritedNames
                if let selection = try select(child, inheritedNames: names, depth: depth + 1, seen: &seen) { return selection }
            }
            return nil
        }
        guard entry.mediaType == nil || MediaType.isManifest(entry.mediaType) else {
            seen.append("unsupported media type \(entry.mediaType ?? "")")
            return nil
        }
        let manifest: ImageManifest = try Self.decode(bytes, what: "manifest \(entry.digest)")
        let config: ImageConfigFile = try Self.decode(try readBlob(manifest.config), what: "config \(manifest.config.digest)")
        // An entry without a platform is checked against its config instead.
        let os = config.os ?? Self.platform.os
        let architecture = config.architecture ?? Self.platform.architecture
        guard os == Self.platform.os && architecture == Self.platform.architecture else {
            seen.append("\(os)/\(architecture)")
            return nil
        }
        return Selection(manifestDescriptor: entry, manifest: manifest, config: config, annotatedNames: inheritedNames)
    }

    /// Checks that every layer blob exists with the size and sha256 its descriptor gives.
    func verifyLayers(_ layers: [Descriptor]) throws(ImageError) {
        for layer in layers { try checkPresent(layer) }
        let actual = try Digest.sha256(of: layers.map { blobPath($0.digest) })
        for (layer, digest) in zip(layers, actual) where digest != layer.digest {
            throw .invalidImage("layer blob \(layer.digest) is corrupt: its content hashes to \(digest)")
        }
    }

    /// A small JSON blob, verified against its descriptor.
    private func readBlob(_ descriptor: Descriptor) throws(ImageError) -> [UInt8] {
        try checkPresent(descriptor)
        let bytes = try Self.read(blobPath(descriptor.digest))
        let actual = try Digest.sha256(of: [blobPath(descriptor.digest)])[0]
        guard actual == descriptor.digest else {
            throw .invalidImage("blob \(descriptor.digest) is corrupt: its content hashes to \(actual)")
        }
        return bytes
    }

    private func checkPresent(_ descriptor: Descriptor) throws(ImageError) {
        guard Digest.isValid(descriptor.digest) else {
            throw .invalidImage("unsupported digest \(descriptor.digest.quoted) (only sha256 is supported)")
        }
        let blob = blobPath(descriptor.digest)
        var st = stat()
        guard lstat(blob, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw .invalidImage("blob \(descriptor.digest) is missing from \(path)/blobs/sha256")
        }
        guard Int64(st.st_size) == descriptor.size else {
            throw .invalidImage("blob \(descriptor.digest) has \(st.st_size) bytes, its descriptor says \(descriptor.size)")
        }
    }

    private static func names(_ entry: Descriptor) -> [String] {
        guard let annotations = entry.annotations else { return [] }
        if let full = annotations["io.containerd.image.name"] { return [full] }
        // ref.name is usually just a tag ("latest"), which names no repository; only a full
        // reference is usable on its own.
        if let ref = annotations["org.opencontainers.image.ref.name"], ref.contains("/") || ref.contains(":") || ref.contains("@") {
            return [ref]
        }
        return []
    }

    private static func read(_ file: String) throws(ImageError) -> [UInt8] {
        try ImageError.wrap { () throws(SystemError) in try FileSystem.readBytes(file) }
    }

    static func decode<T: Decodable>(_ bytes: [UInt8], what: String) throws(ImageError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch {
            throw .invalidImage("\(what) is not valid: \(error)")
        }
    }
}
