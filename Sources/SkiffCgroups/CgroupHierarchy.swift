import SkiffSystem

/// Which cgroup layout the host mounts, read from /proc/self/mountinfo.
///
/// A pure v2 host has one cgroup2 mount with controllers; a hybrid host (like the machine this
/// was written on) mounts every controller on v1 hierarchies and leaves its cgroup2 mount empty,
/// so the v1 driver is the one that can enforce limits there.
public enum CgroupHierarchy: Equatable, Sendable {
    case unified(mountPoint: String)
    case legacy(mountPoints: [String: String])

    public static func detect(mountInfo: String? = nil) throws -> CgroupHierarchy {
        let info = try mountInfo ?? FileSystem.readString("/proc/self/mountinfo")
        var unifiedMount: String?
        var legacy: [String: String] = [:]
        for line in info.utf8.split(separator: UInt8(ascii: "\n")) {
            // Fields: id parent maj:min root mountpoint options [optional…] - fstype source superoptions
            // (split as UTF-8: String's generic substring search costs more than the whole file).
            let fields = line.split(separator: UInt8(ascii: " "))
            guard let dash = fields.firstIndex(where: { $0.count == 1 && $0.first == UInt8(ascii: "-") }),
                dash >= 5, fields.count >= dash + 4
            else { continue }
            let fstype = String(decoding: fields[dash + 1], as: UTF8.self)
            guard fstype == "cgroup2" || fstype == "cgroup" else { continue }
            let mountPoint = unescapeMountInfo(String(decoding: fields[4], as: UTF8.self))
            switch fstype {
            case "cgroup2":
                if unifiedMount == nil || mountPoint == "/sys/fs/cgroup" { unifiedMount = mountPoint }
            case "cgroup":
                let superOptions = String(decoding: fields[dash + 3], as: UTF8.self)
                for option in superOptions.split(separator: ",") where CgroupV1.controllers.contains(String(option)) {
                    legacy[String(option)] = mountPoint
                }
            default:
                continue
            }
        }
        if let unifiedMount {
            let controllers = (try? FileSystem.readString(unifiedMount + "/cgroup.controllers")) ?? ""
            // Hybrid hosts may hand the unified mount a stray controller (hugetlb here); the
            // hierarchy that owns memory is the one that can enforce a container's limits.
            let unifiedHasMemory = controllers.split(whereSeparator: { $0.isWhitespace }).contains("memory")
            if unifiedHasMemory || legacy["memory"] == nil {
                return .unified(mountPoint: unifiedMount)
            }
        }
        guard !legacy.isEmpty else { throw RuntimeError("no cgroup filesystem is mounted (checked /proc/self/mountinfo)") }
        return .legacy(mountPoints: legacy)
    }

    /// The cgroup this process is in, for the given v1 controller, or the v2 path if nil.
    public static func ownPath(controller: String?, procSelfCgroup: String? = nil) -> String {
        let content = procSelfCgroup ?? ((try? FileSystem.readString("/proc/self/cgroup")) ?? "")
        for line in content.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            if let controller {
                if parts[1].split(separator: ",").contains(Substring(controller)) { return String(parts[2]) }
            } else if parts[0] == "0" && parts[1].isEmpty {
                return String(parts[2])
            }
        }
        return "/"
    }

    private static func unescapeMountInfo(_ s: String) -> String {
        s.utf8.contains(UInt8(ascii: "\\")) ? s.replacingOccurrences(of: "\\040", with: " ") : s
    }
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
