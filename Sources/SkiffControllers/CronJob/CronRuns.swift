import SkiffAPI

/// The schedule arithmetic of the cronjob controller, in seconds since the epoch: which run is
/// owed now, how many were missed, and when the next one falls.
public enum CronRuns {
    /// More missed start times than this draw the TooManyMissedTimes warning (as Kubernetes).
    public static let missedTimesLimit = 100

    /// Where unmet runs start: after the last scheduled run (or the CronJob's creation), but no
    /// earlier than `startingDeadlineSeconds` ago — a run later than that is not started at all.
    public static func earliest(lastScheduled: Int64?, created: Int64, startingDeadlineSeconds: Int64?, now: Int64) -> Int64 {
        var earliest = lastScheduled ?? created
        if let deadline = startingDeadlineSeconds { earliest = max(earliest, now - deadline) }
        return earliest
    }

    /// The most recent scheduled time in (`earliest`, `now`] — the one run a controller that was
    /// down catches up on; the older ones are skipped — and how many there were (past
    /// `missedTimesLimit`, counting stops at `missedTimesLimit + 1`).
    public static func mostRecent(_ schedule: CronSchedule, zone: ZoneRules, after earliest: Int64, through now: Int64) -> (time: Int64?, missed: Int) {
        guard earliest < now else { return (nil, 0) }
        let first = schedule.times(after: earliest, through: now, in: zone, limit: missedTimesLimit + 1)
        guard first.count > missedTimesLimit else { return (first.last, first.count) }
        // Many were missed: find the latest by looking back over growing windows, which stay
        // small for the dense schedules that miss many times.
        for window: Int64 in [3_600, 86_400, 32 * 86_400, 367 * 86_400] {
            let recent = schedule.times(after: max(earliest, now - window), through: now, in: zone, limit: 600_000)
            if let last = recent.last { return (last, first.count) }
        }
        return (first.last, first.count)
    }

    /// A Job's name for the run at `scheduled`: the CronJob's name and the minutes since the
    /// epoch, so a run is created once however often the controller tries.
    public static func jobName(cronJob: String, scheduled: Int64) -> String { "\(cronJob)-\(scheduled / 60)" }
}
