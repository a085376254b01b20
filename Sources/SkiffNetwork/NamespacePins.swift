import Glibc
import SkiffSystem

/// Persistent namespaces as bind-mounted nsfs files, made by util-linux unshare(1) in a child
/// process: our multithreaded process never unshares.
enum NamespacePins {
    enum Kind: String, CaseIterable, Sendable {
        case network = "net"
        case ipc
        case uts
    }

    /// Creates `directory/<kind>` for each kind and pins fresh namespaces there. With a UTS
    /// namespace, its hostname is set to `hostname` before anything can join it.
    static func pin(_ kinds: [Kind], in directory: String, hostname: String?) throws {
        for kind in kinds {
            let path = "\(directory)/\(kind.rawValue)"
            // unshare bind-mounts over an existing file; mode 0 as `ip netns` makes them.
            let fd = try sys("open", path.quoted) { open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0) }
            closeFD(fd)
        }
        var arguments = kinds.map { "--\($0.rawValue)=\(directory)/\($0.rawValue)" }
        if let hostname, kinds.contains(.uts) {
            arguments += [try tool("hostname"), hostname]
        } else {
            arguments.append(try tool("true"))
        }
        let output = try Command.run(try tool("unshare"), arguments, environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"])
        guard output.status == .exited(0) else {
            throw RuntimeError("unshare \(arguments.joined(separator: " ")) failed (\(output.status)): \(output.stderr.trimmingWhitespace)")
        }
        for kind in kinds where !isPinned("\(directory)/\(kind.rawValue)") {
            throw RuntimeError("unshare exited 0 but \(directory)/\(kind.rawValue) is not a namespace")
        }
    }

    /// True if something is mounted on `path`: its device differs from its directory's. Only
    /// unshare mounts on these files, and Glibc does not export statfs to check for nsfs itself.
    static func isPinned(_ path: String) -> Bool {
        var file = stat()
        var parent = stat()
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        guard stat(path, &file) == 0, stat(directory.isEmpty ? "/" : directory, &parent) == 0 else { return false }
        return file.st_dev != parent.st_dev
    }

    /// Unmounts (every stacked mount of) `path` and removes the file; nothing there is fine.
    static func unpin(_ path: String) throws {
        while isPinned(path) {
            // MNT_DETACH: a process still inside the namespace must not make teardown fail; the
            // namespace itself lives on until its last member exits.
            try sys("umount2", path.quoted) { umount2(path, Int32(MNT_DETACH)) }
        }
        try sys("unlink", path.quoted, allowing: [ENOENT]) { unlink(path) }
    }

    static func tool(_ name: String) throws(RuntimeError) -> String {
        for directory in ["/usr/bin", "/bin", "/usr/sbin", "/sbin"] where FileSystem.exists("\(directory)/\(name)") {
            return "\(directory)/\(name)"
        }
        throw RuntimeError("\(name) not found in /usr/bin, /bin, /usr/sbin or /sbin (util-linux and hostname are needed for pod sandboxes)")
    }
}
