/// A CronJob's `spec.schedule`: the standard five cron fields (minute, hour, day of month, month,
/// day of week) or one of the `@hourly`-style descriptors, parsed as Kubernetes does (it uses
/// robfig/cron's standard parser): ranges `a-b`, steps `*/n` and `a-b/n` and `a/n` (a to the
/// field's maximum), lists `a,b`, `?` for `*`, and the names JAN–DEC and SUN–SAT in any case.
/// `CRON_TZ=`/`TZ=` prefixes are rejected: a CronJob names its zone in `spec.timeZone`.
///
/// Foundation-free: times are seconds since the Unix epoch, zones are `ZoneRules`.
public struct CronSchedule: Sendable, Hashable {
    /// Bit n set when the field allows value n.
    public let minutes: UInt64
    public let hours: UInt64
    public let daysOfMonth: UInt64
    public let months: UInt64
    public let daysOfWeek: UInt64
    /// As in cron (and robfig/cron): when both day fields are restricted a day matches if either
    /// does; when one of them is a bare `*`, both must.
    let dayOfMonthIsStar: Bool
    let dayOfWeekIsStar: Bool

    public init(parsing text: String) throws(CronScheduleError) {
        var fields = Self.words(text)
        guard !fields.isEmpty else { throw CronScheduleError("empty spec string") }
        if fields[0].hasPrefix("TZ=") || fields[0].hasPrefix("CRON_TZ=") {
            throw CronScheduleError("cannot use TZ or CRON_TZ in schedule, use timeZone field instead")
        }
        if fields[0].hasPrefix("@") {
            guard fields.count == 1, let expanded = Self.descriptors[fields[0].lowercased()] else {
                throw CronScheduleError("unrecognized descriptor: \(fields.joined(separator: " "))")
            }
            fields = Self.words(expanded)
        }
        guard fields.count == 5 else {
            throw CronScheduleError("expected exactly 5 fields, found \(fields.count): [\(fields.joined(separator: " "))]")
        }
        let dayOfMonth = try Self.field(fields[2], CronField.dayOfMonth)
        let dayOfWeek = try Self.field(fields[4], CronField.dayOfWeek)
        minutes = try Self.field(fields[0], CronField.minute).bits
        hours = try Self.field(fields[1], CronField.hour).bits
        daysOfMonth = dayOfMonth.bits
        months = try Self.field(fields[3], CronField.month).bits
        daysOfWeek = dayOfWeek.bits
        dayOfMonthIsStar = dayOfMonth.star
        dayOfWeekIsStar = dayOfWeek.star
    }

    static func words(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
    }

    static let descriptors: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]

    /// The first time strictly after `instant` (seconds since the epoch) at which the schedule
    /// fires in `zone`, or nil when it never does within five years (e.g. `0 0 30 2 *`).
    /// A local time skipped by a daylight-saving jump does not fire; one that occurs twice fires
    /// at its first occurrence after `instant`.
    public func next(after instant: Int64, in zone: ZoneRules = .utc) -> Int64? {
        var local = CivilTime.floorDiv(instant + Int64(zone.offset(at: instant)), 60) * 60 + 60
        let lastYear = CivilTime(local).year + 5
        while true {
            let civil = CivilTime(local)
            if civil.year > lastYear { return nil }
            if months & (1 << UInt64(civil.month)) == 0 {
                local = CivilTime.seconds(year: civil.month == 12 ? civil.year + 1 : civil.year, month: civil.month % 12 + 1, day: 1)
                continue
            }
            if !dayMatches(civil) {
                local = CivilTime.seconds(year: civil.year, month: civil.month, day: civil.day) + 86_400
                continue
            }
            if hours & (1 << UInt64(civil.hour)) == 0 {
                local = CivilTime.floorDiv(local, 3600) * 3600 + 3600
                continue
            }
            if minutes & (1 << UInt64(civil.minute)) == 0 {
                local += 60
                continue
            }
            if let fired = Self.instant(local: local, after: instant, in: zone) { return fired }
            local += 60
        }
    }

    /// Every firing in (`start`, `end`], at most `limit` of them: what the CronJob controller
    /// looks at for runs missed while it was down.
    public func times(after start: Int64, through end: Int64, in zone: ZoneRules = .utc, limit: Int = 100) -> [Int64] {
        var result: [Int64] = []
        var cursor = start
        while result.count < limit, let fired = next(after: cursor, in: zone), fired <= end {
            result.append(fired)
            cursor = fired
        }
        return result
    }

    func dayMatches(_ civil: CivilTime) -> Bool {
        let dayOfMonth = daysOfMonth & (1 << UInt64(civil.day)) != 0
        let dayOfWeek = daysOfWeek & (1 << UInt64(civil.weekday)) != 0
        if dayOfMonthIsStar || dayOfWeekIsStar { return dayOfMonth && dayOfWeek }
        return dayOfMonth || dayOfWeek
    }

    /// The instant after `after` whose wall-clock time in `zone` is `local`: none inside a
    /// daylight-saving gap, the earlier of two in an overlap.
    static func instant(local: Int64, after: Int64, in zone: ZoneRules) -> Int64? {
        let offsets = Set([zone.offset(at: local - 86_400), zone.offset(at: local), zone.offset(at: local + 86_400)])
        return offsets.map { local - Int64($0) }.filter { $0 > after && Int64(zone.offset(at: $0)) == local - $0 }.min()
    }

    // MARK: Parsing one field

    static func field(_ text: String, _ field: CronField) throws(CronScheduleError) -> (bits: UInt64, star: Bool) {
        var bits: UInt64 = 0
        var star = false
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let (partBits, partStar) = try range(String(part), field)
            bits |= partBits
            star = star || partStar
        }
        return (bits, star)
    }

    static func range(_ text: String, _ field: CronField) throws(CronScheduleError) -> (UInt64, Bool) {
        let rangeAndStep = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let lowAndHigh = rangeAndStep[0].split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        var start: Int
        var end: Int
        var star = false
        if lowAndHigh[0] == "*" || lowAndHigh[0] == "?" {
            guard lowAndHigh.count == 1 else { throw CronScheduleError("failed to parse int from \(rangeAndStep[0])") }
            (start, end, star) = (field.minimum, field.maximum, true)
        } else {
            start = try value(lowAndHigh[0], field)
            switch lowAndHigh.count {
            case 1: end = start
            case 2: end = try value(lowAndHigh[1], field)
            default: throw CronScheduleError("too many hyphens: \(text)")
            }
        }
        var step = 1
        switch rangeAndStep.count {
        case 1: break
        case 2:
            guard let parsed = Int(rangeAndStep[1]), rangeAndStep[1].allSatisfy(\.isASCII) else {
                throw CronScheduleError("failed to parse int from \(rangeAndStep[1])")
            }
            step = parsed
            // `N/step` means N through the field's maximum.
            if lowAndHigh.count == 1 { end = field.maximum }
            // `*/2` restricts the field, so it no longer counts as a bare star for the day rule.
            if step > 1 { star = false }
        default: throw CronScheduleError("too many slashes: \(text)")
        }
        if start < field.minimum { throw CronScheduleError("beginning of range (\(start)) below minimum (\(field.minimum)): \(text)") }
        if end > field.maximum { throw CronScheduleError("end of range (\(end)) above maximum (\(field.maximum)): \(text)") }
        if start > end { throw CronScheduleError("beginning of range (\(start)) beyond end of range (\(end)): \(text)") }
        if step <= 0 { throw CronScheduleError("step of range should be a positive number: \(text)") }
        var bits: UInt64 = 0
        for value in stride(from: start, through: end, by: step) { bits |= 1 << UInt64(value) }
        return (bits, star)
    }

    static func value(_ text: String, _ field: CronField) throws(CronScheduleError) -> Int {
        if let index = field.names.firstIndex(of: text.lowercased()) { return index + field.namesStart }
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(text) else {
            throw CronScheduleError("failed to parse int from \(text)")
        }
        return number
    }
}

/// Why a schedule did not parse; the message is what the 422 names.
public struct CronScheduleError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The bounds and names of one of the five fields.
struct CronField: Sendable {
    let minimum: Int
    let maximum: Int
    let names: [String]
    let namesStart: Int

    static let minute = CronField(minimum: 0, maximum: 59, names: [], namesStart: 0)
    static let hour = CronField(minimum: 0, maximum: 23, names: [], namesStart: 0)
    static let dayOfMonth = CronField(minimum: 1, maximum: 31, names: [], namesStart: 0)
    static let month = CronField(
        minimum: 1, maximum: 12, names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], namesStart: 1)
    static let dayOfWeek = CronField(minimum: 0, maximum: 6, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"], namesStart: 0)
}
