import Glibc
import SkiffSystem

/// Counts the open file descriptors of processes, and which of them are sockets, from
/// /proc/PID/fd, as cAdvisor counts a container's (`container_file_descriptors`,
/// `container_sockets`).
///
/// One directory listing per process and one readlink per descriptor; the link is read into a
/// 16-byte buffer, enough to tell "socket:[…]" from anything else. A process or descriptor
/// that is gone by the time it is read is skipped, not an error.
enum ProcessDescriptors {
    static func count(_ pids: [pid_t], procRoot: String) -> (files: UInt64, sockets: UInt64) {
        var files: UInt64 = 0
        var sockets: UInt64 = 0
        for pid in pids {
            let directory = "\(procRoot)/\(pid)/fd"
            guard let names = try? FileSystem.listDirectory(directory) else { continue }
            files += UInt64(names.count)
            for name in names where isSocket(directory + "/" + name) { sockets += 1 }
        }
        return (files, sockets)
    }

    private static let socketPrefix = Array("socket:".utf8)

    /// Whether the descriptor's link names a socket ("socket:[12345]"). Closed since it was
    /// listed (ENOENT), or the process gone or not ours to look at: not a socket.
    static func isSocket(_ link: String) -> Bool {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 16) { buffer in
            guard let base = buffer.baseAddress else { return false }
            let read = try? sys("readlink", link.quoted, allowing: [ENOENT, ESRCH, EACCES, ENOTDIR]) { readlink(link, base, buffer.count) }
            guard let length = read?.value, length >= socketPrefix.count else { return false }
            return buffer.prefix(socketPrefix.count).elementsEqual(socketPrefix) { UInt8(bitPattern: $0) == $1 }
        }
    }
}
