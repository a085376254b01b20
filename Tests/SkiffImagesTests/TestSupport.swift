import Glibc
import SkiffImages
import SkiffSystem

/// A fresh directory under /tmp, removed (after unmounting anything left under it) when `body`
/// returns or throws.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    var template = Array("/tmp/skiff-images-test.XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { throw SystemError("mkdtemp", "/tmp/skiff-images-test.XXXXXX", errno: errno) }
    let path = String(cString: made)
    defer { cleanUp(path) }
    return try body(path)
}

func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    var template = Array("/tmp/skiff-images-test.XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { throw SystemError("mkdtemp", "/tmp/skiff-images-test.XXXXXX", errno: errno) }
    let path = String(cString: made)
    defer { cleanUp(path) }
    return try await body(path)
}

/// Unmounts everything under `path`, deepest first, then deletes it.
func cleanUp(_ path: String) {
    let mounts = ((try? FileSystem.readString("/proc/self/mountinfo")) ?? "").split(separator: "\n")
        .compactMap { line -> String? in
            let fields = line.split(separator: " ")
            return fields.count > 4 ? String(fields[4]) : nil
        }
        .filter { $0 == path || $0.hasPrefix(path + "/") }
        .sorted { $0.count > $1.count }
    for mount in mounts { _ = umount2(mount, Int32(MNT_DETACH)) }
    try? FileSystem.removeTree(path)
}

/// Runs a shell script and fails with its stderr if it does.
@discardableResult
func shell(_ script: String) throws -> String {
    let output = try Command.run("/bin/sh", ["-c", "set -eu\n" + script])
    guard output.status == .exited(0) else { throw RuntimeError("script failed (\(output.status)): \(output.stderr)\n\(script)") }
    return output.stdout
}

/// The busybox image from rootfs/build.sh, built once per test run; the process removes it on exit.
enum Busybox {
    static let directory: String = {
        var template = Array("/tmp/skiff-images-busybox.XXXXXX".utf8CString)
        let path = String(cString: mkdtemp(&template))
        atexit { try? FileSystem.removeTree(Busybox.directory) }
        _ = try? shell("/work/main/rootfs/build.sh \(path) >/dev/null")
        return path
    }()

    static var layout: String { directory + "/busybox.oci" }
    static var archive: String { directory + "/busybox.oci.tar" }
    static var isBuilt: Bool { FileSystem.exists(layout + "/index.json") && FileSystem.exists(archive) }

    /// Copies the layout so a test can damage it.
    static func copyOfLayout(into parent: String) throws -> String {
        try shell("cp -a \(layout) \(parent)/copy.oci")
        return parent + "/copy.oci"
    }
}

/// Every directory and file under `path`, relative to it, sorted; to prove nothing was left behind.
func contents(_ path: String) -> [String] {
    (try? shell("cd \(path) && find . -mindepth 1 | sort"))?.split(separator: "\n").map(String.init) ?? []
}
