import FoundationEssentials
import Glibc
import SkiffSystem

/// The node's local image store: OCI image layouts imported from disk (there is no registry),
/// each unpacked once into a read-only rootfs that container overlays share as their lowerdir.
///
/// Layout under `root`:
///
///     store.lock                 flock: shared to read, exclusive to change names.json or images/
///     import.lock                flock: serializes imports and removals (the slow part) so
///                                readers never wait for an unpack
///     names.json                 {"docker.io/library/busybox:latest": "sha256:<manifest digest>"}
///     images/<manifest hex>/image.json   id, digest, config, sizes (never changes)
///     images/<manifest hex>/rootfs/      the unpacked layers (never changes)
///     tmp/                       imports unpack here, then rename into images/ (same filesystem)
///
/// Safe to use from several threads and several processes at once; every call is synchronous
/// and may block on the locks, so async callers should run it off the cooperative pool.
public struct ImageStore: Sendable {
    public let root: String

    public init(root: String) {
        self.root = root
    }

    var imagesDirectory: String { root + "/images" }
    var temporaryDirectory: String { root + "/tmp" }
    var namesFile: String { root + "/names.json" }
    var storeLock: FileLock { FileLock(path: root + "/store.lock") }
    var importLock: FileLock { FileLock(path: root + "/import.lock") }

    func imageDirectory(_ digest: String) -> String { imagesDirectory + "/" + Digest.hex(digest) }

    /// Every image, ordered by first name (unnamed ones last, by ID).
    public func list() throws(ImageError) -> [ImageRecord] {
        guard FileSystem.isDirectory(root) else { return [] }
        return try storeLock.withLock(exclusive: false) { () throws(ImageError) in try loadAll() }
    }

    /// Finds an image by name in any spelling ("busybox", "busybox:latest",
    /// "docker.io/library/busybox:latest"), by `name@sha256:<manifest digest>`, or by a prefix of
    /// its ID or manifest digest (with or without "sha256:"). Throws `.notFound`.
    public func resolve(_ reference: String) throws(ImageError) -> ImageRecord {
        guard FileSystem.isDirectory(root) else { throw .notFound(reference) }
        return try storeLock.withLock(exclusive: false) { () throws(ImageError) in
            try find(reference, in: try loadAll())
        }
    }

    /// Removes a name; the image itself goes when its last name does, or at once when
    /// `reference` is an ID or digest, with the blobs only it used. Refuses an image whose rootfs
    /// a container overlay uses.
    @discardableResult
    public func remove(_ reference: String) throws(ImageError) -> ImageRemoval {
        guard FileSystem.isDirectory(root) else { throw .notFound(reference) }
        let removal = try importLock.withLock(exclusive: true) { () throws(ImageError) -> ImageRemoval in
            try storeLock.withLock(exclusive: true) { () throws(ImageError) -> ImageRemoval in
                let images = try loadAll()
                let image = try find(reference, in: images)
                var names = try loadNames()
                let name = try? ImageReference(parsing: reference).description
                if let name, names[name] == image.digest, image.names.count > 1 {
                    names[name] = nil
                    try saveNames(names)
                    return .untagged(name)
                }
                try deleteLocked(image, reference: reference)
                return .deleted(image)
            }
        }
        // The blobs only it used go too; a pull under way leaves them for a later sweep.
        if case .deleted = removal { _ = try removeUnreferencedBlobs() }
        return removal
    }

    // MARK: reading the store (callers hold storeLock)

    func loadAll() throws(ImageError) -> [ImageRecord] {
        let names = try loadNames()
        var namesByDigest: [String: [String]] = [:]
        for (name, digest) in names { namesByDigest[digest, default: []].append(name) }
        let directories = (try? FileSystem.listDirectory(imagesDirectory)) ?? []
        var records: [ImageRecord] = []
        for hex in directories where hex.utf8.count == 64 {
            let directory = imagesDirectory + "/" + hex
            let stored: StoredImage = try ImageLayout.decode(
                try ImageError.wrap { () throws(SystemError) in try FileSystem.readBytes(directory + "/image.json") },
                what: directory + "/image.json")
            records.append(
                ImageRecord(
                    id: stored.id, digest: stored.digest, names: (namesByDigest[stored.digest] ?? []).sorted(),
                    config: stored.config, os: stored.os, architecture: stored.architecture, size: stored.size,
                    unpackedSize: stored.unpackedSize, rootfs: directory + "/rootfs"))
        }
        return records.sorted { a, b in
            switch (a.names.first, b.names.first) {
            case (let x?, let y?): x < y
            case (.some, nil): true
            case (nil, .some): false
            case (nil, nil): a.id < b.id
            }
        }
    }

    func find(_ reference: String, in images: [ImageRecord]) throws(ImageError) -> ImageRecord {
        if let parsed = try? ImageReference(parsing: reference) {
            if let digest = parsed.digest, let image = images.first(where: { $0.digest == digest }) { return image }
            if let image = images.first(where: { $0.names.contains(parsed.description) }) { return image }
        }
        // An ID prefix, as crictl and docker accept: at least 4 hex digits so a short name like
        // "abc" never matches by accident.
        let hex = reference.hasPrefix("sha256:") ? String(reference.dropFirst(7)) : reference
        let isHex = hex.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
        if isHex && hex.utf8.count >= 4 {
            let matches = images.filter { Digest.hex($0.id).hasPrefix(hex) || Digest.hex($0.digest).hasPrefix(hex) }
            if matches.count == 1 { return matches[0] }
            if matches.count > 1 { throw .invalidReference(reference, "matches \(matches.count) images; give more digits") }
        }
        throw .notFound(reference)
    }

    func loadNames() throws(ImageError) -> [String: String] {
        guard FileSystem.exists(namesFile) else { return [:] }
        let bytes = try ImageError.wrap { () throws(SystemError) in try FileSystem.readBytes(namesFile) }
        return try ImageLayout.decode(bytes, what: namesFile)
    }

    func saveNames(_ names: [String: String]) throws(ImageError) {
        let text = try Self.json(names)
        try ImageError.wrap { () throws(SystemError) in try FileSystem.writeAtomically(namesFile, text, mode: 0o644) }
    }

    static func json<T: Encodable>(_ value: T) throws(ImageError) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
        } catch {
            throw .invalidImage("cannot encode \(T.self): \(error)")
        }
    }
}

/// What `remove` did.
public enum ImageRemoval: Equatable, Sendable {
    /// The name went; the image stays under its other names.
    case untagged(String)
    /// The image and all its names went.
    case deleted(ImageRecord)
}
