import Glibc
import SkiffSystem

/// Resolves paths from config.json inside a container's root, following symlinks as the
/// container would see them (an absolute link target starts again at the root) and refusing
/// any path that climbs out of the root.
public enum SecurePath {
    public struct EscapeError: Error, CustomStringConvertible {
        public let path: String
        public let via: String
        public var description: String { "\(path.quoted) resolves outside the container root (through \(via.quoted))" }
    }

    /// An absolute path with its empty, "." and ".." components resolved lexically ("/dev/" and
    /// "/dev/./" are "/dev"), as Go's filepath.Clean spells the paths runc compares.
    public static func clean(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." {
            if part == ".." { _ = parts.popLast() } else { parts.append(part) }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// Returns the host path of `path` inside `root`. Components that do not exist yet are kept
    /// as they are (they will be created inside the root).
    public static func resolve(_ path: String, in root: String) throws -> String {
        var pending = Array(path.split(separator: "/").map(String.init).reversed())
        var resolved: [String] = []
        var links = 0
        while let component = pending.popLast() {
            if component == "." || component.isEmpty { continue }
            if component == ".." {
                guard resolved.popLast() != nil else { throw EscapeError(path: path, via: "..") }
                continue
            }
            let candidate = root + "/" + (resolved + [component]).joined(separator: "/")
            var st = stat()
            guard lstat(candidate, &st) == 0 else {
                resolved.append(component)
                continue
            }
            guard (st.st_mode & S_IFMT) == S_IFLNK, let target = FileSystem.symlinkTarget(candidate) else {
                resolved.append(component)
                continue
            }
            links += 1
            if links > 40 { throw SystemError("resolve", candidate.quoted, errno: ELOOP) }
            if target.hasPrefix("/") { resolved = [] }
            // Dry-run the target's ".." against what is resolved so far to name the link at fault.
            var depth = resolved.count
            for part in target.split(separator: "/") {
                if part == ".." {
                    depth -= 1
                    if depth < 0 { throw EscapeError(path: path, via: "/" + (resolved + [component]).joined(separator: "/") + " -> " + target) }
                } else if part != "." {
                    depth += 1
                }
            }
            pending.append(contentsOf: target.split(separator: "/").map(String.init).reversed())
        }
        return root + (resolved.isEmpty ? "" : "/" + resolved.joined(separator: "/"))
    }
}
