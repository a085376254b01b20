import SkiffSystem

/// Turns config.json's `linux.cgroupsPath` into a path inside the hierarchy.
public enum CgroupPath {
    /// - Absolute paths are used as they are.
    /// - With `systemd`, "slice:prefix:name" maps to the slice's nested path plus
    ///   "prefix-name.scope", laid out on cgroupfs the way systemd would name it.
    /// - Anything else, empty included (then the container id), is relative to `ownPath`, the
    ///   runtime's own cgroup, as runc does.
    public static func resolve(_ configured: String?, id: String, systemd: Bool, ownPath: String) -> String {
        let value = configured ?? ""
        if systemd {
            let parts = value.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            let slice = parts.count == 3 && !parts[0].isEmpty ? parts[0] : "system.slice"
            let prefix = parts.count == 3 ? parts[1] : "skiff"
            let name = parts.count == 3 ? parts[2] : id
            let scope = prefix.isEmpty ? "\(name).scope" : "\(prefix)-\(name).scope"
            return expandSlice(slice) + "/" + scope
        }
        if value.hasPrefix("/") { return clean(value) }
        return clean(ownPath + "/" + (value.isEmpty ? id : value))
    }

    /// "a-b-c.slice" → "/a.slice/a-b.slice/a-b-c.slice"; "-.slice" is the root.
    public static func expandSlice(_ slice: String) -> String {
        guard slice != "-.slice", slice.hasSuffix(".slice") else { return "" }
        let stem = slice.dropLast(".slice".count)
        var path = ""
        var prefix = ""
        for component in stem.split(separator: "-") {
            prefix += (prefix.isEmpty ? "" : "-") + component
            path += "/\(prefix).slice"
        }
        return path
    }

    /// `relative` under `base` (`exec --cgroup`), refusing one that climbs out of it.
    public static func sub(_ relative: String, of base: String) throws -> String {
        let joined = clean(base + "/" + relative)
        let root = clean(base)
        guard joined == root || joined.hasPrefix(root == "/" ? "/" : root + "/") else {
            throw RuntimeError("\(relative) is not a sub cgroup path")
        }
        return joined
    }

    /// Collapses "//", "." and "..", never climbing above "/".
    public static func clean(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." {
                _ = parts.popLast()
            } else {
                parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }
}
