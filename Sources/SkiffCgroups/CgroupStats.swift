/// A container's resource accounting, read from whichever cgroup version the host has.
/// Field names follow runc's `events --stats` JSON.
public struct CgroupStats: Sendable, Equatable {
    public var cpu = CPU()
    public var memory = Memory()
    public var pids = Pids()
    public var pressure: Pressure?

    public init() {}

    public struct CPU: Sendable, Equatable {
        public var usage = Usage()
        public var throttling = Throttling()

        public struct Usage: Sendable, Equatable {
            /// Nanoseconds of CPU time.
            public var total: UInt64 = 0
            public var percpu: [UInt64]?
            public var kernel: UInt64 = 0
            public var user: UInt64 = 0
        }

        public struct Throttling: Sendable, Equatable {
            public var periods: UInt64?
            public var throttledPeriods: UInt64?
            public var throttledTime: UInt64?
        }
    }

    public struct Memory: Sendable, Equatable {
        public var usage = Entry()
        public var swap: Entry?
        /// usage minus inactive file cache: what the kubelet calls the working set.
        public var workingSet: UInt64 = 0
        public var rss: UInt64 = 0
        public var cache: UInt64 = 0
        /// Processes the kernel OOM killer killed in this cgroup.
        public var oomKill: UInt64 = 0
        public var raw: [String: UInt64] = [:]

        public struct Entry: Sendable, Equatable {
            public var usage: UInt64 = 0
            public var max: UInt64?
            /// Bytes; nil when unlimited.
            public var limit: UInt64?
            public var failcnt: UInt64?
        }
    }

    public struct Pids: Sendable, Equatable {
        public var current: UInt64 = 0
        /// nil when unlimited.
        public var limit: UInt64?
    }

    /// Pressure stall information (cgroup v2 only): cpu, memory, io.
    public struct Pressure: Sendable, Equatable {
        public var cpu: PSI?
        public var memory: PSI?
        public var io: PSI?
    }

    public struct PSI: Sendable, Equatable {
        public var some: PSILine
        public var full: PSILine?
    }

    public struct PSILine: Sendable, Equatable {
        public var avg10: Double
        public var avg60: Double
        public var avg300: Double
        /// Microseconds stalled in total.
        public var total: UInt64
    }
}

/// Parsers for the "key value" and PSI file formats both cgroup versions use.
public enum CgroupFiles {
    public static func keyValues(_ content: String) -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        for line in content.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = UInt64(parts[1]) { result[String(parts[0])] = value }
        }
        return result
    }

    /// "max" (or an absurdly large v1 value) means unlimited.
    public static func limit(_ content: String) -> UInt64? {
        let trimmed = content.trimmingWhitespace
        guard trimmed != "max", let value = UInt64(trimmed), value < (1 << 62) else { return nil }
        return value
    }

    public static func psi(_ content: String) -> CgroupStats.PSI? {
        var some: CgroupStats.PSILine?
        var full: CgroupStats.PSILine?
        for line in content.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard let kind = fields.first else { continue }
            var values: [String: Substring] = [:]
            for field in fields.dropFirst() {
                let pair = field.split(separator: "=", maxSplits: 1)
                if pair.count == 2 { values[String(pair[0])] = pair[1] }
            }
            let parsed = CgroupStats.PSILine(
                avg10: Double(values["avg10"] ?? "") ?? 0, avg60: Double(values["avg60"] ?? "") ?? 0,
                avg300: Double(values["avg300"] ?? "") ?? 0, total: UInt64(values["total"] ?? "") ?? 0)
            if kind == "some" { some = parsed } else if kind == "full" { full = parsed }
        }
        return some.map { CgroupStats.PSI(some: $0, full: full) }
    }
}

extension StringProtocol {
    var trimmingWhitespace: String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view = view.dropFirst() }
        while let last = view.last, last.isWhitespace { view = view.dropLast() }
        return String(view)
    }
}
