import AsyncHTTPClient
import Crypto
import Glibc
import SkiffImages
import SkiffSystem

/// Downloads blobs into the store, one download per digest however many pulls want it at once:
/// later callers wait for the download already under way instead of starting their own.
///
/// A download streams into `blobs/partial/`, hashed as it arrives, and is renamed into
/// `blobs/sha256/` only when its size and sha256 match the descriptor; so a blob in place is
/// always whole, and a killed download leaves only a partial file nothing reads.
actor BlobFetcher {
    let store: ImageStore
    private var inFlight: [String: Task<Void, any Error>] = [:]
    private var abandonedRemoved = false
    /// Downloads started (not shared), for the tests that check sharing.
    private(set) var downloadsStarted = 0

    init(store: ImageStore) {
        self.store = store
    }

    /// Makes sure the blob is in the store; returns the bytes this call downloaded (0 when the
    /// blob was there or another pull downloaded it).
    func fetch(_ descriptor: Descriptor, from client: RegistryClient) async throws -> Int64 {
        if !abandonedRemoved {
            // Once per process: what a killed pull left. Our own pid's entries are kept.
            abandonedRemoved = true
            store.removeAbandonedPulls()
        }
        if store.hasBlob(descriptor) { return 0 }
        if let running = inFlight[descriptor.digest] {
            try await running.value
            return 0
        }
        downloadsStarted += 1
        let store = self.store
        let task = Task { try await Self.download(descriptor, from: client, into: store) }
        inFlight[descriptor.digest] = task
        do {
            try await task.value
            inFlight[descriptor.digest] = nil
            return descriptor.size
        } catch {
            inFlight[descriptor.digest] = nil
            throw error
        }
    }

    private static func download(_ descriptor: Descriptor, from client: RegistryClient, into store: ImageStore) async throws {
        guard Digest.isValid(descriptor.digest) else {
            throw RegistryError.unsupportedMediaType(what: "blob digest", mediaType: descriptor.digest)
        }
        // A blob gets an hour: layers of several GB on a slow link still finish, a stuck one ends.
        let response = try await client.get("blobs/\(descriptor.digest)", timeout: .hours(1))
        let partial = store.partialBlobPath(for: descriptor.digest)
        let fd = try sys("open", partial.quoted) { open(partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600) }
        var committed = false
        defer {
            closeFD(fd)
            if !committed { unlink(partial) }
        }
        var hasher = SHA256()
        var received: Int64 = 0
        for try await chunk in response.body {
            received += Int64(chunk.readableBytes)
            guard received <= descriptor.size else {
                throw RegistryError.badResponse(url: "blob \(descriptor.digest)", detail: "more than the \(descriptor.size) bytes its descriptor gives")
            }
            try chunk.withUnsafeReadableBytes { bytes throws(SystemError) in
                hasher.update(bufferPointer: bytes)
                guard let base = bytes.baseAddress else { return }
                var offset = 0
                while offset < bytes.count {
                    offset += try sys("write", partial.quoted) { Glibc.write(fd, base + offset, bytes.count - offset) }
                }
            }
        }
        guard received == descriptor.size else {
            throw RegistryError.badResponse(url: "blob \(descriptor.digest)", detail: "\(received) bytes where its descriptor gives \(descriptor.size)")
        }
        let actual = "sha256:" + hasher.finalize().map { String($0, radix: 16).leftPadded }.joined()
        guard actual == descriptor.digest else {
            throw RegistryError.digestMismatch(what: "blob \(descriptor.digest)", expected: descriptor.digest, actual: actual)
        }
        // On disk before the rename, so a crash cannot leave a short file under a verified name.
        try sys("fsync", partial.quoted) { fsync(fd) }
        try store.commitBlob(partial: partial, digest: descriptor.digest)
        committed = true
    }
}

extension String {
    /// One hex byte, two digits.
    var leftPadded: String { count == 1 ? "0" + self : self }
}
