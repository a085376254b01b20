import Glibc
import SkiffImages
import SkiffSystem
import Testing

// Real imports with GNU tar and sha256sum into a throwaway store; needs root for tar's
// ownership restore and for the overlay mounts in ContainerRootfsTests.
@Suite("Image store (root, real tar)", .serialized)
struct ImageStoreTests {
    init() throws {
        try #require(getuid() == 0, "these tests restore file ownership and mount overlays: run as root")
        try #require(Busybox.isBuilt, "rootfs/build.sh could not build the busybox image (is busybox-static installed?)")
    }

    @Test("importing the busybox layout directory stores its rootfs, config and name")
    func importDirectory() throws {
        try withTemporaryDirectory { dir in
            let store = ImageStore(root: dir + "/images")
            let image = try store.importImage(from: Busybox.layout)
            #expect(image.names == ["docker.io/library/busybox:latest"])
            #expect(image.shortNames == ["busybox:latest"])
            #expect(image.config.cmd == ["sh"])
            #expect(image.config.workingDir == "/")
            #expect(image.config.env.first?.hasPrefix("PATH=") == true)
            #expect(image.os == "linux" && image.architecture == "amd64")
            #expect(image.id.hasPrefix("sha256:") && image.digest.hasPrefix("sha256:"))
            #expect(image.rootfs == dir + "/images/images/" + image.digest.dropFirst(7) + "/rootfs")
            #expect(FileSystem.exists(image.rootfs + "/bin/busybox"))
            #expect(FileSystem.symlinkTarget(image.rootfs + "/bin/sh") == "/bin/busybox")
            #expect(try FileSystem.fileMode(image.rootfs + "/tmp") & 0o7777 == 0o1777)
            // build.sh archives with --owner=0, so everything is root's; ownership from the
            // layer is checked with the synthetic image.
            var st = stat()
            #expect(lstat(image.rootfs + "/home/user", &st) == 0 && st.st_uid == 0)
            #expect(image.size > 1_000_000 && image.unpackedSize > image.size)
            #expect(try store.list() == [image])
            #expect(contents(dir + "/images/tmp").isEmpty)
        }
    }

    @Test("busybox resolves under every spelling of its name and by ID or digest prefix")
    func resolveSpellings() throws {
        try withTemporaryDirectory { dir in
            let store = ImageStore(root: dir)
            let image = try store.importImage(from: Busybox.layout)
            for reference in [
                "busybox", "busybox:latest", "library/busybox", "docker.io/library/busybox:latest",
                String(image.id.dropFirst(7).prefix(13)), image.id, String(image.digest.dropFirst(7).prefix(12)),
                "busybox@" + image.digest,
            ] {
                #expect(try store.resolve(reference) == image, "resolving \(reference)")
            }
            #expect(throws: ImageError.notFound("busybox:1.0")) { try store.resolve("busybox:1.0") }
            #expect(throws: ImageError.notFound("nginx")) { try store.resolve("nginx") }
            #expect(ImageError.notFound("nginx").description == "image not found: nginx")
        }
    }

    @Test("the tarball imports as the same image; re-importing only adds names")
    func reimport() throws {
        try withTemporaryDirectory { dir in
            let store = ImageStore(root: dir)
            let first = try store.importImage(from: Busybox.layout)
            let inode = try inodeNumber(first.rootfs + "/bin/busybox")
            let second = try store.importImage(from: Busybox.archive)
            #expect(second == first)
            let third = try store.importImage(from: Busybox.archive, name: "registry.local/tools/bb:1.0")
            #expect(third.digest == first.digest)
            #expect(third.names == ["docker.io/library/busybox:latest", "registry.local/tools/bb:1.0"])
            // Unpacked once: the same file, not a second unpack renamed over the first.
            #expect(try inodeNumber(third.rootfs + "/bin/busybox") == inode)
            #expect(try store.list().count == 1)
            #expect(try FileSystem.listDirectory(dir + "/images").count == 1)
            #expect(contents(dir + "/tmp").isEmpty)
        }
    }

    @Test("importing another image under an existing name moves the name")
    func nameMoves() throws {
        try withTemporaryDirectory { dir in
            let store = ImageStore(root: dir)
            let busybox = try store.importImage(from: Busybox.layout)
            let other = try store.importImage(from: try SyntheticImage.build(in: dir), name: "busybox")
            #expect(other.names == ["docker.io/library/busybox:latest"])
            #expect(try store.resolve("busybox").digest == other.digest)
            let images = try store.list()
            #expect(images.count == 2)
            #expect(images.first { $0.digest == busybox.digest }?.names == [])
            #expect(ImageListFormatter.format(images).contains("<none>"))
        }
    }

    @Test("a two-layer image applies whiteouts, opaque directories and type changes")
    func whiteouts() throws {
        try withTemporaryDirectory { dir in
            let store = ImageStore(root: dir + "/store")
            let image = try store.importImage(from: try SyntheticImage.build(in: dir))
            #expect(image.names == ["example.com/test/layers:v1"])
            #expect(
                contents(image.rootfs) == [
                    "./data", "./data/new", "./etc", "./etc/added", "./etc/keep", "./swap",
                ])
            #expect(try FileSystem.readString(image.rootfs + "/swap") == "now-a-file\n")
            var st = stat()
            #expect(lstat(image.rootfs + "/etc/keep", &st) == 0 && st.st_uid == 1000 && st.st_gid == 2000)
            #expect(st.st_mode & 0o7777 == 0o640)
            #expect(image.config.entrypoint == ["/bin/app"])
            #expect(image.config.cmd == ["--flag"])
            #expect(image.config.user == "1000:1000")
            #expect(image.config.workingDir == "/data")
            #expect(image.config.exposedPorts == ["53/udp", "8080/tcp"])
        }
    }

    @Test("a layer that would write through a lower layer's symlink is refused")
    func symlinkEscape() throws {
        try withTemporaryDirectory { dir in
            try shell("mkdir \(dir)/outside")
            // Layer 1 gets escape -> DIR/outside; layer 2 a bare member escape/pwned (no directory
            // entry of its own), which tar would write through the link onto the host.
            let layout = try SyntheticImage.build(
                in: dir,
                extra: """
                    ln -s \(dir)/outside $W/l1/escape && tar -rf $W/layer1 -C $W/l1 ./escape
                    mkdir -p $W/x/escape && echo pwned > $W/x/escape/pwned && tar -rf $W/layer2.tar -C $W/x ./escape/pwned
                    """)
            let store = ImageStore(root: dir + "/store")
            do {
                try store.importImage(from: layout)
                Issue.record("the layer was unpacked")
            } catch {
                #expect("\(error)".contains("writes through the symbolic link /escape"), "\(error)")
            }
            #expect(contents(dir + "/outside").isEmpty)
            #expect(contents(dir + "/store/images").isEmpty && contents(dir + "/store/tmp").isEmpty)
        }
    }

    @Test("a corrupted layer blob fails naming the digest and leaves nothing behind")
    func corruptBlob() throws {
        try withTemporaryDirectory { dir in
            let layout = try Busybox.copyOfLayout(into: dir)
            // Flip bytes inside the largest blob (the layer) without changing its size.
            let layer = try shell("ls -S \(layout)/blobs/sha256 | head -1").trimmingNewline
            try shell("printf 'XXXX' | dd of=\(layout)/blobs/sha256/\(layer) bs=1 seek=1000 conv=notrunc 2>/dev/null")
            let store = ImageStore(root: dir + "/store")
            do {
                try store.importImage(from: layout)
                Issue.record("a corrupt layer was imported")
            } catch {
                #expect("\(error)".contains("sha256:\(layer) is corrupt"), "\(error)")
            }
            #expect(try store.list().isEmpty)
            #expect(contents(dir + "/store").filter { !$0.hasSuffix(".lock") } == ["./images", "./tmp"])
        }
    }

    @Test("a missing blob, a directory that is no layout and a non-archive file fail cleanly")
    func notALayout() throws {
        try withTemporaryDirectory { dir in
            let store = ImageStore(root: dir + "/store")
            let layout = try Busybox.copyOfLayout(into: dir)
            let config = try shell("ls -S \(layout)/blobs/sha256 | sed -n 2p").trimmingNewline
            try shell("rm \(layout)/blobs/sha256/\(config)")
            try shell("mkdir \(dir)/plain && echo hi > \(dir)/plain/file && echo junk > \(dir)/junk.tar")
            let cases: [(String, String)] = [
                (layout, "is missing from"),
                (dir + "/plain", "no oci-layout file"),
                (dir + "/junk.tar", "tar cannot extract it"),
                (dir + "/nothing", "no such file or directory"),
            ]
            for (path, message) in cases {
                do {
                    try store.importImage(from: path)
                    Issue.record("\(path) was imported")
                } catch {
                    #expect("\(error)".contains(message), "\(error)")
                }
            }
            #expect(try store.list().isEmpty)
            #expect(contents(dir + "/store/images").isEmpty && contents(dir + "/store/tmp").isEmpty)
        }
    }

    @Test("remove untags a name, then deletes the image with its last name")
    func remove() throws {
        try withTemporaryDirectory { dir in
            let store = ImageStore(root: dir)
            let image = try store.importImage(from: Busybox.layout)
            try store.importImage(from: Busybox.layout, name: "bb:2")
            #expect(try store.remove("bb:2") == .untagged("docker.io/library/bb:2"))
            #expect(try store.resolve("busybox").names == ["docker.io/library/busybox:latest"])
            guard case .deleted(let gone) = try store.remove("busybox") else {
                Issue.record("the last name's removal kept the image")
                return
            }
            #expect(gone.digest == image.digest)
            #expect(try store.list().isEmpty)
            #expect(!FileSystem.exists(image.rootfs))
            #expect(throws: ImageError.notFound("busybox")) { try store.remove("busybox") }
        }
    }

    @Test("two concurrent imports of the same image end with one image")
    func concurrentImports() async throws {
        try await withTemporaryDirectory { dir in
            let store = ImageStore(root: dir)
            async let a = Task.detached { try store.importImage(from: Busybox.archive) }.value
            async let b = Task.detached { try store.importImage(from: Busybox.layout, name: "second:tag") }.value
            let (first, second) = try await (a, b)
            #expect(first.digest == second.digest)
            let images = try store.list()
            #expect(images.count == 1)
            #expect(images.first?.names == ["docker.io/library/busybox:latest", "docker.io/library/second:tag"])
            #expect(try FileSystem.listDirectory(dir + "/images").count == 1)
            #expect(contents(dir + "/tmp").isEmpty)
        }
    }

    @Test("readers wait while another process holds the store lock")
    func crossProcessLock() throws {
        try withTemporaryDirectory { dir in
            let store = ImageStore(root: dir)
            try store.importImage(from: Busybox.layout)
            // /usr/bin/flock stands in for a second skiff process holding the lock for 1 s.
            let pid = try Spawn.start(
                "/usr/bin/flock", ["flock", dir + "/store.lock", "sh", "-c", "touch \(dir)/held; sleep 1"],
                environment: ["PATH=/usr/bin:/bin"])
            defer { _ = try? Spawn.wait(pid) }
            while !FileSystem.exists(dir + "/held") { usleep(5000) }
            let start = ContinuousClock.now
            #expect(try store.list().count == 1)
            #expect(ContinuousClock.now - start > .milliseconds(700))
        }
    }

    @Test(
        "a first layer with a ../ member or a member below its own absolute symlink is refused, nothing written outside",
        arguments: ["dotdot", "symlink"])
    func firstLayerEscape(kind: String) throws {
        try withTemporaryDirectory { dir in
            try shell("mkdir \(dir)/outside")
            let extra =
                kind == "dotdot"
                ? "echo pwned > $W/dd && tar -rf $W/layer1 -P --transform 's,^.*/dd$,../../outside/dd,' $W/dd"
                : """
                ln -s \(dir)/outside $W/x-link && tar -rf $W/layer1 -C $W --transform 's,^x-link,./escape,' x-link
                mkdir -p $W/x/escape && echo pwned > $W/x/escape/pwned && tar -rf $W/layer1 -C $W/x ./escape/pwned
                """
            let layout = try SyntheticImage.build(in: dir, extra: extra)
            let store = ImageStore(root: dir + "/store")
            do {
                try store.importImage(from: layout)
                Issue.record("the layer was unpacked")
            } catch {
                #expect("\(error)".contains("cannot unpack layer"), "\(error)")
            }
            #expect(contents(dir + "/outside").isEmpty)
            #expect(contents(dir + "/store/images").isEmpty && contents(dir + "/store/tmp").isEmpty)
        }
    }
}

func inodeNumber(_ path: String) throws -> UInt {
    var st = stat()
    try sys("lstat", path) { lstat(path, &st) }
    return UInt(st.st_ino)
}

extension String {
    var trimmingNewline: String { hasSuffix("\n") ? String(dropLast()) : self }
}
