import Glibc
import SkiffSystem

/// A container's root filesystem: an overlay whose read-only lower layer is the image's unpacked
/// rootfs and whose writes land in the container's own upper directory, so containers never
/// change the image and each other's files.
///
///     containerDir/upper    the container's changes
///     containerDir/work     overlayfs's scratch space (same filesystem as upper)
///     containerDir/merged   the mount point: the rootfs to give skiff-runc
///
/// Mounts in the calling process's mount namespace (the host's); works for upper/lower on ext4
/// and tmpfs alike.
public enum ContainerRootfs {
    /// Mounts the overlay and returns the merged directory. Idempotent: an overlay already
    /// mounted there (say, before an agent restart) is reused.
    public static func mount(image: ImageRecord, containerDir: String) throws(ImageError) -> String {
        let upper = containerDir + "/upper"
        let work = containerDir + "/work"
        let merged = containerDir + "/merged"
        if try MountTable.current().entries.contains(where: { $0.mountPoint == merged && $0.fileSystemType == "overlay" }) {
            return merged
        }
        guard FileSystem.isDirectory(image.rootfs) else {
            throw .invalidImage("the rootfs of \(image.names.first ?? image.id) is missing at \(image.rootfs)")
        }
        // overlayfs separates lower layers with ':' and options with ','; it has no escaping
        // for them in lowerdir.
        for path in [image.rootfs, upper, work] where path.contains(",") || path.contains(":") {
            throw .invalidImage("cannot mount an overlay with \(path.quoted): overlayfs paths cannot contain ',' or ':'")
        }
        try ImageError.wrap { () throws(SystemError) in
            for directory in [containerDir, upper, work, merged] { try FileSystem.makeDirectories(directory, mode: 0o755) }
        }
        let options = "lowerdir=\(image.rootfs),upperdir=\(upper),workdir=\(work)" + extraOptions
        try ImageError.wrap { () throws(SystemError) in
            try sys("mount", "overlay -> \(merged.quoted) (\(options))") { Glibc.mount("overlay", merged, "overlay", 0, options) }
        }
        return merged
    }

    /// Unmounts the overlay; a busy mount is lazily detached. Does nothing when nothing is mounted.
    public static func unmount(containerDir: String) throws(ImageError) {
        let merged = containerDir + "/merged"
        // Overlays can stack if a mount raced; peel until none is left.
        for _ in 0..<8 {
            guard try MountTable.current().isMountPoint(merged) else { return }
            // EINVAL, ENOENT: it went away since the mount table was read.
            let unmounted = try ImageError.wrap { () throws(SystemError) in
                try sys("umount2", merged.quoted, allowing: [EINVAL, ENOENT, EBUSY]) { umount2(merged, 0) }
            }
            switch unmounted {
            case .succeeded: continue
            case .failed(EBUSY):
                try ImageError.wrap { () throws(SystemError) in
                    try sys("umount2", "\(merged.quoted), MNT_DETACH") { umount2(merged, Int32(MNT_DETACH)) }
                }
            case .failed: return
            }
        }
        throw .invalidImage("\(merged) is still mounted after 8 unmounts")
    }

    /// Unmounts and deletes the container's directory, upper layer included. Idempotent.
    public static func remove(containerDir: String) throws(ImageError) {
        try unmount(containerDir: containerDir)
        // Never descend into a mount: removing through merged would delete the image's files.
        let prefix = containerDir.hasSuffix("/") ? containerDir : containerDir + "/"
        if let mount = try MountTable.current().entries.first(where: { $0.mountPoint.hasPrefix(prefix) }) {
            throw .invalidImage("cannot remove \(containerDir): \(mount.mountPoint) is still mounted")
        }
        try ImageError.wrap { () throws(SystemError) in try FileSystem.removeTree(containerDir) }
    }

    /// containerd's choice: index=off where the kernel has the feature, so an upper directory
    /// is never tied to one lower by index bookkeeping (the default varies by kernel config).
    static var extraOptions: String {
        FileSystem.exists("/sys/module/overlay/parameters/index") ? ",index=off" : ""
    }
}
