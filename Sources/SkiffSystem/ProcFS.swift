import Glibc

/// Facts about a process read from /proc, used to tell a live container from a reused pid.
public enum ProcFS {
    /// Field 22 of /proc/PID/stat: the start time in clock ticks since boot; nil if gone.
    public static func startTime(of pid: pid_t) -> UInt64? {
        guard let stat = try? FileSystem.readString("/proc/\(pid)/stat"),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name, which may itself contain spaces and parentheses.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state); the start time is field 22.
        guard fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }

    /// The one-letter state (R, S, D, Z, T…) or nil if the process is gone.
    public static func state(of pid: pid_t) -> Character? {
        guard let stat = try? FileSystem.readString("/proc/\(pid)/stat"),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ").first?.first
    }

    /// True if `pid` is alive (not a zombie) and is the same process that started at `startTime`.
    public static func isAlive(_ pid: pid_t, startTime: UInt64?) -> Bool {
        guard pid > 0, let state = state(of: pid), state != "Z", state != "X" else { return false }
        guard let expected = startTime else { return true }
        return self.startTime(of: pid) == expected
    }
}
