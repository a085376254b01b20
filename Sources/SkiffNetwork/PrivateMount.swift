import Glibc
import SkiffSystem

/// Makes a directory a mount point of its own with private propagation, as `ip netns` does for
/// /run/netns, so the namespace files bind-mounted inside it are not copied into peer mount
/// namespaces (a copy there would keep a pod's namespaces alive after teardown unmounts ours).
enum PrivateMount {
    static func ensure(_ directory: String) throws {
        try FileSystem.makeDirectories(directory, mode: 0o755)
        let path = try canonical(directory)
        if try !isMountPoint(path) {
            try sys("mount", "\(path.quoted) -> \(path.quoted) (bind)") { mount(path, path, nil, UInt(MS_BIND | MS_REC), nil) }
        }
        try sys("mount", "\(path.quoted) (make-private)") { mount("none", path, nil, UInt(MS_PRIVATE), nil) }
    }

    static func canonical(_ path: String) throws -> String {
        let resolved = try sys("realpath", path.quoted) { realpath(path, nil) }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Field 5 of /proc/self/mountinfo is the mount point, with spaces and the like octal-escaped.
    static func isMountPoint(_ path: String) throws -> Bool {
        let table = try FileSystem.readString("/proc/self/mountinfo")
        for line in table.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: " ")
            if fields.count > 4, unescape(fields[4]) == path { return true }
        }
        return false
    }

    static func unescape(_ field: Substring) -> String {
        var bytes: [UInt8] = []
        let raw = Array(field.utf8)
        var index = 0
        while index < raw.count {
            if raw[index] == UInt8(ascii: "\\"), index + 3 < raw.count,
                let value = UInt8(String(decoding: raw[(index + 1)...(index + 3)], as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(raw[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
