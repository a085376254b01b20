import Glibc
import SkiffSystem

/// Blobs pulled from registries, stored once by digest and shared by every image that lists them:
///
///     blobs/sha256/<hex>                  verified content, never changed once renamed here
///     blobs/partial/<hex>.<pid>.<random>  a download in progress (or of a process that died)
///     pulls/<pid>.<random>/               a pulled image presented as an OCI layout to the importer
///
/// A blob is renamed into `blobs/sha256` only after its sha256 matched, so a pull killed at any
/// point leaves nothing there that a later pull could trust wrongly; what it leaves in
/// `blobs/partial` and `pulls` carries its pid and is removed once that process is gone.
extension ImageStore {
    public var blobsDirectory: String { root + "/blobs/sha256" }
    var partialBlobsDirectory: String { root + "/blobs/partial" }
    var pullsDirectory: String { root + "/pulls" }

    /// Where the verified blob with this digest lives (whether or not it is there yet).
    public func blobPath(_ digest: String) -> String { blobsDirectory + "/" + Digest.hex(digest) }

    /// True when the blob is stored with the size its descriptor gives (its digest was checked
    /// before it was renamed into place).
    public func hasBlob(_ descriptor: Descriptor) -> Bool {
        guard Digest.isValid(descriptor.digest) else { return false }
        var st = stat()
        return lstat(blobPath(descriptor.digest), &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG && Int64(st.st_size) == descriptor.size
    }

    /// Creates the blob directories (0700, like the rest of the store).
    public func prepareBlobDirectories() throws(ImageError) {
        try ImageError.wrap { () throws(SystemError) in
            for directory in [root, root + "/blobs", blobsDirectory, partialBlobsDirectory, pullsDirectory] {
                try FileSystem.makeDirectories(directory, mode: 0o700)
            }
        }
    }

    /// A fresh temporary path for downloading the blob `digest`; this process's pid is in its name.
    public func partialBlobPath(for digest: String) -> String {
        "\(partialBlobsDirectory)/\(Digest.hex(digest)).\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Moves a verified download into place. Another process may have stored the same blob
    /// meanwhile; the content is the same, so the rename simply replaces it.
    public func commitBlob(partial: String, digest: String) throws(ImageError) {
        try ImageError.wrap { () throws(SystemError) in
            try sys("rename", "\(partial.quoted) -> \(blobPath(digest).quoted)") { rename(partial, blobPath(digest)) }
        }
    }

    /// Stores a small blob (a manifest or index) whose digest the caller has checked.
    public func storeBlob(_ bytes: [UInt8], digest: String) throws(ImageError) {
        let partial = partialBlobPath(for: digest)
        try ImageError.wrap { () throws(SystemError) in
            let fd = try sys("open", partial.quoted) { open(partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600) }
            defer { closeFD(fd) }
            try FileSystem.writeAll(fd: fd, bytes, name: partial)
        }
        try commitBlob(partial: partial, digest: digest)
    }

    /// Removes the downloads and pull staging directories of processes that no longer run (a
    /// pull killed midway); returns how many entries went. Live processes' entries stay.
    @discardableResult
    public func removeAbandonedPulls() -> Int {
        var removed = 0
        for directory in [partialBlobsDirectory, pullsDirectory] {
            for entry in (try? FileSystem.listDirectory(directory)) ?? [] {
                let fields = entry.split(separator: ".")
                let pidField = directory == pullsDirectory ? fields.first : (fields.count == 3 ? fields[1] : nil)
                guard let pidField, let pid = pid_t(pidField), !Self.isRunning(pid) else { continue }
                if (try? FileSystem.removeTree(directory + "/" + entry)) != nil { removed += 1 }
            }
        }
        return removed
    }

    /// Imports a pulled image whose manifest, config and layers are all in `blobs/sha256`:
    /// presents them to the importer as an OCI layout (one index entry, the blobs linked in) so a
    /// pulled image is checked and unpacked exactly as an imported one is.
    @discardableResult
    public func importPulled(manifest: Descriptor, name: ImageReference) throws(ImageError) -> ImageRecord {
        try prepareBlobDirectories()
        let staging = "\(pullsDirectory)/\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileSystem.removeTree(staging) }
        let entry = Descriptor(mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size)
        let index = try Self.json(ImageIndex(schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [entry]))
        try ImageError.wrap { () throws(SystemError) in
            try sys("mkdir", staging.quoted) { mkdir(staging, 0o700) }
            try FileSystem.write(staging + "/oci-layout", #"{"imageLayoutVersion":"1.0.0"}"#, mode: 0o644)
            try FileSystem.write(staging + "/index.json", index, mode: 0o644)
            try sys("symlink", (staging + "/blobs").quoted) { symlink(root + "/blobs", staging + "/blobs") }
        }
        return try importImage(from: staging, name: name.description)
    }

    private static func isRunning(_ pid: pid_t) -> Bool {
        pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH
    }
}
