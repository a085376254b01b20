import FoundationEssentials
import Glibc
import SkiffImages
import SkiffSystem
import Testing

// Pulled images (blobs in the store) deleted, swept and marked used on a real store; root for
// tar's ownership restore and the overlay that keeps an image in use.
@Suite("Image store: deleting images, sweeping blobs, last use (root, real tar)", .serialized)
struct ImageCollectionTests {
    init() throws {
        try #require(getuid() == 0, "these tests restore file ownership and mount overlays: run as root")
    }

    /// Two images as a pull leaves them: the synthetic image's blobs in `blobs/sha256`, and a
    /// second manifest with the same layers under another config; plus the nested index
    /// blob, which no image references. Returns both manifests' descriptors.
    static func pulledPair(store: ImageStore, in dir: String) throws -> (Descriptor, Descriptor) {
        let layout = try SyntheticImage.build(in: dir)
        try store.prepareBlobDirectories()
        let lines = try shell(
            #"""
            cd \#(layout)/blobs/sha256
            cp * \#(store.blobsDirectory)/
            blob() { d=$(sha256sum "$1" | cut -d' ' -f1); cp "$1" \#(store.blobsDirectory)/$d; echo "sha256:$d $(stat -c %s "$1")"; }
            n=$(jq -r '.manifests[0].digest' ../../index.json | cut -d: -f2)
            m=$(jq -r '.manifests[] | select(.platform.architecture=="amd64") | .digest' $n | cut -d: -f2)
            c=$(jq -r '.config.digest' $m | cut -d: -f2)
            echo "sha256:$m $(stat -c %s $m)"
            jq -c '.config.Env += ["SECOND=1"]' $c > \#(dir)/config2; read c2 s2 <<EOF
            $(blob \#(dir)/config2)
            EOF
            jq -c --arg d "$c2" --argjson s $s2 '.config.digest=$d | .config.size=$s' $m > \#(dir)/manifest2
            blob \#(dir)/manifest2
            """#
        ).split(separator: "\n").map { $0.split(separator: " ") }
        func descriptor(_ fields: [Substring]) -> Descriptor {
            Descriptor(mediaType: MediaType.ociManifest, digest: String(fields[0]), size: Int64(fields[1]) ?? 0)
        }
        return (descriptor(lines[0]), descriptor(lines[1]))
    }

    static func blobs(_ store: ImageStore) -> Set<String> {
        Set(((try? FileSystem.listDirectory(store.blobsDirectory)) ?? []).map { "sha256:" + $0 })
    }

    @Test(
        "a sweep keeps every blob a stored image uses and deletes the rest, never while a pull holds its lease; deleting an image frees its rootfs and the blobs only it used"
    )
    func deleteAndSweep() throws {
        try withTemporaryDirectory { dir in
            let store = ImageStore(root: dir + "/store")
            let (first, second) = try Self.pulledPair(store: store, in: dir)
            let a = try store.importPulled(manifest: first, name: try ImageReference(parsing: "example.com/gc/a:1"))
            let b = try store.importPulled(manifest: second, name: try ImageReference(parsing: "example.com/gc/b:1"))
            #expect(a.id != b.id)
            let manifestA = try JSONDecoder().decode(ImageManifest.self, from: Data(try FileSystem.readBytes(store.blobPath(a.digest))))
            let layers = Set(manifestA.layers.map(\.digest))
            let used = layers.union([a.digest, a.id, b.digest, b.id])
            let orphans = Self.blobs(store).subtracting(used)
            #expect(orphans.count == 1, "the layout's nested index blob: \(orphans)")

            // A pull under way: its blobs may be referenced by nothing yet, so nothing is swept.
            var lease: PullLease? = try store.beginPull()
            #expect(try store.removeUnreferencedBlobs() == nil)
            #expect(Self.blobs(store).count == used.count + 1)
            withExtendedLifetime(lease) {}
            lease = nil
            let sweep = try #require(try store.removeUnreferencedBlobs())
            #expect(Set(sweep.digests) == orphans)
            #expect(sweep.bytes > 0)
            #expect(Self.blobs(store) == used)

            #expect(store.diskBytes(a) == a.unpackedSize + a.size, "a pulled image counts its blobs")
            #expect(store.lastUsed(a) == store.storedAt(a), "never used: last used when stored")
            usleep(20_000)
            store.markUsed(a)
            #expect(store.lastUsed(a) > store.storedAt(a))

            // In use under a mounted container rootfs: refused, by delete, prune's path, and rm.
            _ = try ContainerRootfs.mount(image: a, containerDir: dir + "/containers/c1")
            #expect(try store.mountedImageDigests([a, b]) == [a.digest])
            #expect(throws: ImageError.inUse("example.com/gc/a:1", dir + "/containers/c1/merged")) { try store.delete(digest: a.digest) }
            try ContainerRootfs.remove(containerDir: dir + "/containers/c1")
            #expect(try store.mountedImageDigests([a, b]).isEmpty)

            let deletion = try store.delete(digest: a.digest)
            #expect(Set(deletion.blobSweep?.digests ?? []) == [a.digest, a.id], "the layers are b's too")
            #expect(deletion.blobSweep?.bytes == first.size + manifestA.config.size)
            #expect(deletion.freedBytes == a.unpackedSize + first.size + manifestA.config.size)
            #expect(throws: ImageError.notFound("example.com/gc/a:1")) { try store.resolve("example.com/gc/a:1") }
            #expect(Self.blobs(store) == layers.union([b.digest, b.id]))
            #expect(FileSystem.exists(b.rootfs + "/etc/keep"))

            #expect(try store.remove("example.com/gc/b:1") == .deleted(b))
            #expect(Self.blobs(store).isEmpty, "the last image takes the shared layers with it")
            #expect(contents(dir + "/store/images").isEmpty)
        }
    }
}
