import SkiffSystem

/// The mounts this process sees, from /proc/self/mountinfo.
struct MountTable {
    struct Entry {
        var mountPoint: String
        var fileSystemType: String
        var superOptions: String
    }

    var entries: [Entry]

    static func current() throws(ImageError) -> MountTable {
        let text = try ImageError.wrap { () throws(SystemError) in try FileSystem.readString("/proc/self/mountinfo") }
        var entries: [Entry] = []
        for line in text.split(separator: "\n") {
            // id parent major:minor root mount-point options [optional…] - type source super-options
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count >= 7, let dash = fields.firstIndex(of: "-"), dash + 3 < fields.count else { continue }
            entries.append(
                Entry(
                    mountPoint: unescape(fields[4]), fileSystemType: String(fields[dash + 1]),
                    superOptions: unescape(fields[dash + 3])))
        }
        return MountTable(entries: entries)
    }

    func isMountPoint(_ path: String) -> Bool {
        entries.contains { $0.mountPoint == path }
    }

    /// Overlay mounts whose lowerdir includes `directory`.
    func overlays(onLower directory: String) -> [Entry] {
        entries.filter { entry in
            entry.fileSystemType == "overlay"
                && entry.superOptions.split(separator: ",").contains { option in
                    option.hasPrefix("lowerdir=") && option.dropFirst(9).split(separator: ":").contains { $0 == directory }
                }
        }
    }

    /// mountinfo writes space, tab, newline and backslash as \ooo octal escapes.
    static func unescape(_ field: Substring) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(field.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "\\"), utf8.count >= 3,
                let value = UInt8(String(decoding: utf8.prefix(3), as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                utf8 = utf8.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
