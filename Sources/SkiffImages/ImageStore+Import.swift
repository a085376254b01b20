import Glibc
import SkiffSystem

extension ImageStore {
    /// Imports an OCI image layout directory, or a tar of one, and returns the stored image.
    ///
    /// The image is named `name` if given, else by its index annotations
    /// (`io.containerd.image.name`, or a full `org.opencontainers.image.ref.name`). Importing an
    /// image that is already stored only adds the name; a name another image had moves here.
    /// Nothing is left behind when it fails.
    @discardableResult
    public func importImage(from path: String, name: String? = nil) throws(ImageError) -> ImageRecord {
        var requested: ImageReference?
        if let name { requested = try ImageReference(parsing: name) }
        guard FileSystem.exists(path) else { throw .notALayout(path, "no such file or directory") }
        try ImageError.wrap { () throws(SystemError) in
            // 0700: an image rootfs may hold setuid binaries that host users must not reach.
            try FileSystem.makeDirectories(root, mode: 0o700)
            try FileSystem.makeDirectories(imagesDirectory, mode: 0o700)
            try FileSystem.makeDirectories(temporaryDirectory, mode: 0o700)
        }
        return try importLock.withLock(exclusive: true) { () throws(ImageError) in
            removeStaleTemporaries()
            let staging = temporaryDirectory + "/import-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            try ImageError.wrap { () throws(SystemError) in try sys("mkdir", staging.quoted) { mkdir(staging, 0o700) } }
            defer { try? FileSystem.removeTree(staging) }

            let layout = try ImageLayout(path: FileSystem.isDirectory(path) ? path : try extractArchive(path, into: staging + "/layout"))
            let selection = try layout.select()
            var names: [ImageReference] = []
            if let requested {
                names = [requested]
            } else {
                for annotated in selection.annotatedNames {
                    do {
                        names.append(try ImageReference(parsing: annotated))
                    } catch {
                        throw .invalidImage("the index names the image \(annotated.quoted), which is not a valid reference: \(error)")
                    }
                }
            }
            let digest = selection.manifestDescriptor.digest
            let target = imageDirectory(digest)
            let prepared = FileSystem.exists(target + "/image.json") ? nil : try unpack(layout, selection, into: staging + "/image")

            return try storeLock.withLock(exclusive: true) { () throws(ImageError) in
                if let prepared {
                    try ImageError.wrap { () throws(SystemError) in
                        // A directory without image.json can only be debris; replace it.
                        try FileSystem.removeTree(target)
                        try sys("rename", "\(prepared.quoted) -> \(target.quoted)") { rename(prepared, target) }
                    }
                }
                var table = try loadNames()
                for name in names { table[name.description] = digest }
                try saveNames(table)
                guard let record = try loadAll().first(where: { $0.digest == digest }) else {
                    throw .invalidImage("image \(digest) vanished right after its import")
                }
                return record
            }
        }
    }

    /// Unpacks the selected image into `directory` (rootfs/ and image.json) and returns it.
    private func unpack(_ layout: ImageLayout, _ selection: ImageLayout.Selection, into directory: String) throws(ImageError) -> String {
        let manifest = selection.manifest
        if let diffIDs = selection.config.rootfs?.diffIDs, diffIDs.count != manifest.layers.count {
            throw .invalidImage(
                "manifest \(selection.manifestDescriptor.digest) has \(manifest.layers.count) layers but its config lists \(diffIDs.count) diff_ids")
        }
        var compressions: [LayerCompression] = []
        for layer in manifest.layers {
            guard let compression = MediaType.layerCompression(layer.mediaType ?? "") else {
                throw .invalidImage("layer \(layer.digest) has unsupported media type \((layer.mediaType ?? "none").quoted)")
            }
            compressions.append(compression)
        }
        try layout.verifyLayers(manifest.layers)

        let rootfs = directory + "/rootfs"
        try ImageError.wrap { () throws(SystemError) in
            try sys("mkdir", directory.quoted) { mkdir(directory, 0o700) }
            try sys("mkdir", rootfs.quoted) { mkdir(rootfs, 0o755) }
        }
        let unpacker = LayerUnpacker(rootfs: rootfs)
        for (index, layer) in manifest.layers.enumerated() {
            try unpacker.apply(blob: layout.blobPath(layer.digest), compression: compressions[index], digest: layer.digest, isFirst: index == 0)
        }
        let stored = StoredImage(
            id: selection.manifest.config.digest, digest: selection.manifestDescriptor.digest,
            config: selection.config.config ?? ImageConfig(),
            os: selection.config.os ?? ImageLayout.platform.os,
            architecture: selection.config.architecture ?? ImageLayout.platform.architecture,
            size: selection.manifestDescriptor.size + manifest.config.size + manifest.layers.reduce(0) { $0 + $1.size },
            unpackedSize: Self.regularFileBytes(rootfs))
        let text = try Self.json(stored)
        try ImageError.wrap { () throws(SystemError) in try FileSystem.write(directory + "/image.json", text, mode: 0o644) }
        return directory
    }

    /// Extracts a tar of a layout and returns the layout's directory: the archive's top level,
    /// or its single subdirectory when the layout was archived with its folder.
    private func extractArchive(_ archive: String, into directory: String) throws(ImageError) -> String {
        let output = try ImageError.wrap { () throws(SystemError) in
            try sys("mkdir", directory.quoted) { mkdir(directory, 0o700) }
            return try Command.run(LayerUnpacker.tar, ["-x", "-f", archive, "-C", directory, "--no-same-owner", "--no-same-permissions"])
        }
        guard output.status == .exited(0) else {
            throw .notALayout(archive, "not a directory, and tar cannot extract it: \(output.stderr.trimmed)")
        }
        if !FileSystem.exists(directory + "/oci-layout"),
            let entries = try? FileSystem.listDirectory(directory), entries.count == 1,
            FileSystem.exists(directory + "/" + entries[0] + "/oci-layout")
        {
            return directory + "/" + entries[0]
        }
        return directory
    }

    /// Debris of imports or removals that died midway; only the import lock's holder calls this.
    /// Best effort: a killed import's tar may still be finishing in its directory, which the
    /// next import then removes.
    func removeStaleTemporaries() {
        for entry in (try? FileSystem.listDirectory(temporaryDirectory)) ?? [] {
            try? FileSystem.removeTree(temporaryDirectory + "/" + entry)
        }
    }

    /// What processes killed midway left: half-unpacked images, partial downloads and pull
    /// staging of processes that are gone. The agent calls it when it starts; it waits for an
    /// import under way.
    public func removeLeftovers() throws(ImageError) {
        guard FileSystem.isDirectory(root) else { return }
        removeAbandonedPulls()
        guard FileSystem.isDirectory(temporaryDirectory) else { return }
        try importLock.withLock(exclusive: true) { () throws(ImageError) in removeStaleTemporaries() }
    }

    static func regularFileBytes(_ path: String) -> Int64 {
        var st = stat()
        guard lstat(path, &st) == 0 else { return 0 }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return Int64(st.st_size)
        case S_IFDIR: return ((try? FileSystem.listDirectory(path)) ?? []).reduce(0) { $0 + regularFileBytes(path + "/" + $1) }
        default: return 0
        }
    }
}
