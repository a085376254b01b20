import Glibc
import SkiffImages
import SkiffSystem
import Testing

@Suite("Container rootfs overlays (root, real mounts)", .serialized)
struct ContainerRootfsTests {
    init() throws {
        try #require(getuid() == 0, "mounting overlays needs root")
        try #require(Busybox.isBuilt, "rootfs/build.sh could not build the busybox image")
    }

    @Test(
        "writes in merged land in upper, never in the image; unmount and remove clean up",
        arguments: ["ext4 (/tmp)", "tmpfs"])
    func overlay(fileSystem: String) throws {
        try withTemporaryDirectory { dir in
            if fileSystem == "tmpfs" {
                try sys("mount", "tmpfs") { mount("tmpfs", dir, "tmpfs", 0, "mode=0755") }
            }
            let store = ImageStore(root: dir + "/images")
            let image = try store.importImage(from: Busybox.layout)
            let containerDir = dir + "/containers/c1"
            let merged = try ContainerRootfs.mount(image: image, containerDir: containerDir)
            #expect(merged == containerDir + "/merged")
            #expect(try ContainerRootfs.mount(image: image, containerDir: containerDir) == merged, "mount is idempotent")
            #expect(FileSystem.exists(merged + "/bin/busybox"))

            try FileSystem.write(merged + "/etc/hostname", "changed\n")
            try FileSystem.write(merged + "/new-file", "hello\n")
            try FileSystem.removeTree(merged + "/etc/group")
            #expect(try FileSystem.readString(image.rootfs + "/etc/hostname") == "busybox\n")
            #expect(!FileSystem.exists(image.rootfs + "/new-file"))
            #expect(FileSystem.exists(image.rootfs + "/etc/group"))
            #expect(try FileSystem.readString(containerDir + "/upper/new-file") == "hello\n")

            // The image cannot be removed under a mounted container.
            #expect(throws: ImageError.self) { try store.remove(image.id) }

            // A second container on the same image sees the image, not the first one's writes.
            let other = try ContainerRootfs.mount(image: image, containerDir: dir + "/containers/c2")
            #expect(try FileSystem.readString(other + "/etc/hostname") == "busybox\n")
            try ContainerRootfs.remove(containerDir: dir + "/containers/c2")

            try ContainerRootfs.unmount(containerDir: containerDir)
            try ContainerRootfs.unmount(containerDir: containerDir)
            #expect(!FileSystem.exists(merged + "/bin"))
            try ContainerRootfs.remove(containerDir: containerDir)
            try ContainerRootfs.remove(containerDir: containerDir)
            #expect(!FileSystem.exists(containerDir))
            #expect(try store.remove(image.id) == .deleted(image))
            #expect(!(try FileSystem.readString("/proc/self/mountinfo")).contains(dir + "/containers"))
        }
    }

    @Test("an overlay kept busy by a process's working directory is lazily detached")
    func busyUnmount() throws {
        try withTemporaryDirectory { dir in
            let image = try ImageStore(root: dir + "/images").importImage(from: Busybox.layout)
            let merged = try ContainerRootfs.mount(image: image, containerDir: dir + "/c")
            // A process whose cwd is inside the mount makes umount(2) fail with EBUSY.
            let pid = try Spawn.start("/bin/sleep", ["sleep", "30"], environment: [], directory: merged + "/etc")
            defer {
                kill(pid, SIGKILL)
                _ = try? Spawn.wait(pid)
            }
            #expect(umount2(merged, 0) == -1 && errno == EBUSY)
            try ContainerRootfs.remove(containerDir: dir + "/c")
            #expect(!FileSystem.exists(dir + "/c"))
            #expect(!(try FileSystem.readString("/proc/self/mountinfo")).contains(merged))
        }
    }
}

@Suite("skiff image ls table")
struct ImageListTableTests {
    @Test("rows look like crictl images, one per name")
    func table() {
        let id = "sha256:" + String(repeating: "a4", count: 32)
        let record = ImageRecord(
            id: id, digest: id, names: ["docker.io/library/busybox:latest", "docker.io/library/busybox:1.36"],
            config: ImageConfig(), os: "linux", architecture: "amd64", size: 2_200_000, unpackedSize: 0, rootfs: "/x")
        #expect(
            ImageListFormatter.format([record]) == """
                IMAGE                       TAG                 IMAGE ID            SIZE
                docker.io/library/busybox   latest              a4a4a4a4a4a4a       2.2MB
                docker.io/library/busybox   1.36                a4a4a4a4a4a4a       2.2MB

                """)
    }
}
