import FoundationEssentials
import Glibc
import SkiffSystem

/// What image garbage collection and `skiff image rm|prune` need from the store: when an image
/// was stored and last used, how many bytes it holds on disk, deleting it, and sweeping the blobs
/// no image references any more.
///
///     images/<manifest hex>/last-used   empty; its mtime is when a container last used the image
///     pull.lock                         flock: shared while a pull runs, exclusive to sweep blobs
///
/// A pull's blobs are referenced by no stored image until its import ends, so blobs are swept
/// only while no pull holds `pull.lock`; a sweep never waits for one, it skips the blobs instead.
extension ImageStore {
    var pullLock: FileLock { FileLock(path: root + "/pull.lock") }

    /// When the image was stored (its image.json was written).
    public func storedAt(_ image: ImageRecord) -> Date {
        Self.modificationTime(imageDirectory(image.digest) + "/image.json") ?? Date(timeIntervalSince1970: 0)
    }

    /// When a container last used the image, or when it was stored if none ever has.
    public func lastUsed(_ image: ImageRecord) -> Date {
        Self.modificationTime(imageDirectory(image.digest) + "/last-used") ?? storedAt(image)
    }

    /// Records that a container uses the image now. Best effort: an image removed meanwhile has
    /// nothing to mark.
    public func markUsed(_ image: ImageRecord) {
        let path = imageDirectory(image.digest) + "/last-used"
        guard FileSystem.isDirectory(imageDirectory(image.digest)) else { return }
        let opened = try? sys("open", path.quoted, allowing: [ENOENT]) { open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600) }
        guard let fd = opened?.value else { return }
        defer { closeFD(fd) }
        // Now, as touch(1) does: a nil times pointer sets both times to the current time.
        _ = try? sys("futimens", path.quoted) { futimens(fd, nil) }
    }

    /// Manifest digests of the images whose rootfs is the lower layer of a mounted container
    /// overlay: in use whoever mounted it.
    public func mountedImageDigests(_ images: [ImageRecord]) throws(ImageError) -> Set<String> {
        let table = try MountTable.current()
        return Set(images.filter { !table.overlays(onLower: $0.rootfs).isEmpty }.map(\.digest))
    }

    /// Bytes the image holds in this store: its unpacked rootfs, plus its manifest, config and
    /// layer blobs when it was pulled (an imported image keeps no blobs).
    public func diskBytes(_ image: ImageRecord) -> Int64 {
        image.unpackedSize + (FileSystem.exists(blobPath(image.digest)) ? image.size : 0)
    }

    /// Capacity and available bytes (for unprivileged users, as df shows) of the file system
    /// holding the store: the kubelet's image filesystem.
    public func fileSystemUsage() throws(ImageError) -> (capacityBytes: Int64, availableBytes: Int64) {
        var info = statvfs()
        var path = root
        while !FileSystem.isDirectory(path), let slash = path.lastIndex(of: "/"), slash > path.startIndex { path = String(path[..<slash]) }
        try ImageError.wrap { () throws(SystemError) in try sys("statvfs", path.quoted) { statvfs(path, &info) } }
        let unit = Int64(info.f_frsize)
        return (Int64(info.f_blocks) * unit, Int64(info.f_bavail) * unit)
    }

    /// Deletes the image and every name it has, then the blobs nothing references any more.
    /// Refuses an image whose rootfs a mounted container overlay uses.
    public func delete(digest: String) throws(ImageError) -> ImageDeletion {
        guard FileSystem.isDirectory(root) else { throw .notFound(digest) }
        let deleted = try importLock.withLock(exclusive: true) { () throws(ImageError) in
            try storeLock.withLock(exclusive: true) { () throws(ImageError) in
                guard let image = try loadAll().first(where: { $0.digest == digest }) else { throw .notFound(digest) }
                try deleteLocked(image, reference: image.names.first ?? image.id)
                return image
            }
        }
        let sweep = try removeUnreferencedBlobs()
        return ImageDeletion(image: deleted, freedBytes: deleted.unpackedSize + (sweep?.bytes ?? 0), blobSweep: sweep)
    }

    /// Removes the image's directory and names; callers hold the import and store locks.
    func deleteLocked(_ image: ImageRecord, reference: String) throws(ImageError) {
        if let user = try MountTable.current().overlays(onLower: image.rootfs).first {
            throw .inUse(reference, user.mountPoint)
        }
        try saveNames(try loadNames().filter { $0.value != image.digest })
        let trash = temporaryDirectory + "/remove-" + Digest.hex(image.digest)
        try ImageError.wrap { () throws(SystemError) in
            try FileSystem.makeDirectories(temporaryDirectory, mode: 0o700)
            try FileSystem.removeTree(trash)
            try sys("rename", imageDirectory(image.digest).quoted) { rename(imageDirectory(image.digest), trash) }
            try FileSystem.removeTree(trash)
        }
    }

    /// Deletes the blobs no stored image references (its manifest, config or layers), such as a
    /// deleted image's or a multi-platform index's, and what killed pulls left. Returns nil,
    /// deleting nothing, while a pull is under way: its blobs are not referenced yet.
    public func removeUnreferencedBlobs() throws(ImageError) -> BlobSweep? {
        guard FileSystem.isDirectory(blobsDirectory) else { return BlobSweep(digests: [], bytes: 0) }
        let swept = try pullLock.withLockIfFree { () throws(ImageError) in
            try importLock.withLock(exclusive: true) { () throws(ImageError) in
                try storeLock.withLock(exclusive: true) { () throws(ImageError) in
                    let referenced = try referencedBlobs()
                    var sweep = BlobSweep(digests: [], bytes: 0)
                    for hex in (try? FileSystem.listDirectory(blobsDirectory)) ?? [] where !referenced.contains(hex) {
                        let path = blobsDirectory + "/" + hex
                        var st = stat()
                        guard lstat(path, &st) == 0 else { continue }
                        try ImageError.wrap { () throws(SystemError) in _ = try sys("unlink", path.quoted, allowing: [ENOENT]) { unlink(path) } }
                        sweep.digests.append("sha256:" + hex)
                        sweep.bytes += Int64(st.st_size)
                    }
                    return sweep
                }
            }
        }
        if swept != nil { removeAbandonedPulls() }
        return swept
    }

    /// Hex digests of every blob a stored image uses: its manifest and what the manifest lists.
    func referencedBlobs() throws(ImageError) -> Set<String> {
        var referenced: Set<String> = []
        for image in try loadAll() {
            let manifestPath = blobPath(image.digest)
            guard let bytes = try? FileSystem.readBytes(manifestPath) else { continue }
            referenced.insert(Digest.hex(image.digest))
            let manifest: ImageManifest = try ImageLayout.decode(bytes, what: "manifest \(image.digest)")
            for blob in [manifest.config] + manifest.layers { referenced.insert(Digest.hex(blob.digest)) }
        }
        return referenced
    }

    /// Holds the pull lock shared until the returned lease is released, so no blob sweep runs
    /// while this pull's blobs are referenced by no image yet. Waits only for a sweep under way.
    public func beginPull() throws(ImageError) -> PullLease {
        try prepareBlobDirectories()
        let path = pullLock.path
        let fd = try ImageError.wrap { () throws(SystemError) in
            try sys("open", path.quoted) { open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600) }
        }
        do {
            try ImageError.wrap { () throws(SystemError) in try sys("flock", path.quoted) { flock(fd, LOCK_SH) } }
        } catch {
            closeFD(fd)
            throw error
        }
        return PullLease(fd: fd)
    }

    static func modificationTime(_ path: String) -> Date? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        return Date(timeIntervalSince1970: Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9)
    }
}

/// A pull in progress, as far as blob sweeping is concerned; releasing it (or the process
/// dying) lets sweeps run again.
public final class PullLease: Sendable {
    let fd: Int32

    init(fd: Int32) {
        self.fd = fd
    }

    deinit {
        closeFD(fd)
    }
}

/// Blobs a sweep deleted.
public struct BlobSweep: Equatable, Sendable {
    public var digests: [String]
    public var bytes: Int64
}

/// What deleting an image freed: its rootfs and the blobs that only it used.
public struct ImageDeletion: Equatable, Sendable {
    public var image: ImageRecord
    public var freedBytes: Int64
    /// Nil when a pull was under way, so the blobs were left for a later sweep.
    public var blobSweep: BlobSweep?
}

extension FileLock {
    /// Runs `body` holding the lock exclusively, or returns nil at once when anyone holds it.
    func withLockIfFree<T>(_ body: () throws(ImageError) -> T) throws(ImageError) -> T? {
        let fd = try ImageError.wrap { () throws(SystemError) in
            try sys("open", path.quoted) { open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600) }
        }
        defer { closeFD(fd) }
        let locked = try ImageError.wrap { () throws(SystemError) in
            try sys("flock", path.quoted, allowing: [EWOULDBLOCK]) { flock(fd, LOCK_EX | LOCK_NB) }
        }
        guard case .succeeded = locked else { return nil }
        return try body()
    }
}
