import SkiffSystem

/// A container's log file and the siblings rotation left beside it: `FILE.<yyyyMMdd-HHmmss>`
/// (the kubelet's naming), plus `.<n>` when two rotations happened within one second.
public enum LogFiles {
    /// Every file of the log, oldest first, the current file (if it exists) last.
    public static func paths(for path: String) -> [String] {
        let (directory, base) = split(path)
        var rotated: [(stamp: String, counter: Int, name: String)] = []
        for name in (try? FileSystem.listDirectory(directory)) ?? [] {
            if let (stamp, counter) = rotationSuffix(of: name, base: base) { rotated.append((stamp, counter, name)) }
        }
        rotated.sort { ($0.stamp, $0.counter) < ($1.stamp, $1.counter) }
        var result = rotated.map { directory + "/" + $0.name }
        if FileSystem.exists(path) { result.append(path) }
        return result
    }

    /// The timestamp and counter of a rotated sibling's name, or nil for any other file
    /// (including the kubelet's compressed `.gz` ones, which skiff-monitor never makes).
    static func rotationSuffix(of name: String, base: String) -> (String, Int)? {
        guard name.hasPrefix(base + ".") else { return nil }
        let suffix = Array(name.utf8.dropFirst(base.utf8.count + 1))
        guard suffix.count >= 15 else { return nil }
        for (i, byte) in suffix.prefix(15).enumerated() {
            let ok = i == 8 ? byte == UInt8(ascii: "-") : (byte >= 48 && byte <= 57)
            if !ok { return nil }
        }
        let stamp = String(decoding: suffix.prefix(15), as: UTF8.self)
        if suffix.count == 15 { return (stamp, 0) }
        guard suffix[15] == UInt8(ascii: "."),
            let counter = Int(String(decoding: suffix.dropFirst(16), as: UTF8.self)), counter >= 0
        else { return nil }
        return (stamp, counter)
    }

    static func split(_ path: String) -> (directory: String, base: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }
}
