import SkiffAPI
import Testing

@Suite struct CronScheduleTests {
    /// 2026-12-07T10:07:00Z, a Monday.
    let mondayMorning: Int64 = 1_796_638_020

    func next(_ spec: String, after instant: Int64, zone: ZoneRules = .utc) throws -> Int64? {
        try CronSchedule(parsing: spec).next(after: instant, in: zone)
    }

    @Test("steps, ranges, lists and names fire at the next matching minute")
    func nextMatchingMinute() throws {
        #expect(try next("*/15 * * * *", after: mondayMorning) == 1_796_638_500)  // 10:15
        #expect(try next("*/1 * * * *", after: mondayMorning) == mondayMorning + 60)
        #expect(try next("7 10 * * *", after: mondayMorning) == mondayMorning + 86_400)  // strictly after
        #expect(try next("5,20-25/5 * * * *", after: mondayMorning) == mondayMorning + 13 * 60)  // 10:20
        // Saturday noon → Monday 09:00.
        #expect(try next("0 9 * * MON-FRI", after: 1_796_472_000) == 1_796_634_000)
        #expect(try next("0 9 * * mon-fri", after: 1_796_472_000) == 1_796_634_000)
        #expect(try next("0 0 1 jan *", after: mondayMorning) == 1_798_761_600)
        // `30/10` is 30, 40, 50.
        #expect(try next("30/10 * * * *", after: mondayMorning) == mondayMorning + 23 * 60)
    }

    @Test("descriptors expand to their five-field schedules")
    func descriptors() throws {
        #expect(try next("@yearly", after: mondayMorning) == 1_798_761_600)
        #expect(try next("@annually", after: mondayMorning) == 1_798_761_600)
        #expect(try next("@hourly", after: mondayMorning) == mondayMorning - 7 * 60 + 3600)
        #expect(try next("@daily", after: mondayMorning) == 1_796_688_000)  // 2026-12-08T00:00Z
        #expect(try next("@midnight", after: mondayMorning) == 1_796_688_000)
        #expect(try next("@weekly", after: mondayMorning) == 1_797_120_000)  // Sunday 2026-12-13
        #expect(try next("@monthly", after: mondayMorning) == 1_798_761_600)
    }

    @Test("restricted day-of-month and day-of-week fields match either; a star in one means both must")
    func dayFields() throws {
        let saturday: Int64 = 1_794_528_000 - 6 * 86_400  // 2026-11-07T00:00Z
        #expect(try next("0 0 10 * MON", after: saturday) == 1_794_182_400)  // Monday the 9th
        #expect(try next("0 0 10 * MON", after: 1_794_182_400) == 1_794_268_800)  // Tuesday the 10th
        #expect(try next("0 0 13 * *", after: saturday) == 1_794_528_000)
        #expect(try next("0 0 * * FRI", after: saturday) == 1_794_528_000)
        // `*/1` steps by one: still a star, so both fields must match (the 13th that is a Friday).
        #expect(try next("0 0 13 * */1", after: saturday) == 1_794_528_000)
    }

    @Test("a date that never comes within five years gives nil; a leap day waits for its year")
    func impossibleDates() throws {
        #expect(try next("0 0 30 2 *", after: mondayMorning) == nil)
        #expect(try next("0 0 29 2 *", after: 1_709_164_800) == 1_835_395_200)
    }

    @Test(
        "malformed schedules are rejected with robfig/cron's messages",
        arguments: [
            ("* * * *", "expected exactly 5 fields, found 4: [* * * *]"),
            ("* * * * * *", "expected exactly 5 fields, found 6: [* * * * * *]"),
            ("60 * * * *", "end of range (60) above maximum (59): 60"),
            ("* * 0 * *", "beginning of range (0) below minimum (1): 0"),
            ("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"),
            ("*/0 * * * *", "step of range should be a positive number: */0"),
            ("x * * * *", "failed to parse int from x"),
            ("* * * FOO *", "failed to parse int from FOO"),
            ("* * * * 7", "end of range (7) above maximum (6): 7"),
            ("@fortnightly", "unrecognized descriptor: @fortnightly"),
            ("CRON_TZ=UTC 0 * * * *", "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"),
            ("TZ=Europe/Berlin 0 * * * *", "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"),
            ("", "empty spec string"),
        ])
    func rejected(spec: String, message: String) {
        #expect(throws: CronScheduleError(message)) { try CronSchedule(parsing: spec) }
    }

    @Test("a zone's daylight saving shifts the firing instant, past the TZif table too")
    func timeZones() throws {
        let berlin = try ZoneRules.load(named: "Europe/Berlin")
        #expect(try next("0 9 * * *", after: 1_782_889_200 - 3600, zone: berlin) == 1_782_889_200)  // 09:00 CEST = 07:00Z
        #expect(try next("0 9 * * *", after: 1_800_000_000 - 3600, zone: berlin) == 1_800_000_000)  // 09:00 CET = 08:00Z
        #expect(try next("0 9 * * *", after: 2_224_738_800 - 3600, zone: berlin) == 2_224_738_800)  // 2040, from the footer rule
        // 02:30 does not exist on 2026-03-29 in Berlin: the next run is the 30th.
        #expect(try next("30 2 * * *", after: 1_774_830_600 - 86_400 - 7200, zone: berlin) == 1_774_830_600)
        // 02:30 happens twice on 2026-10-25: the first one fires.
        #expect(try next("30 2 * * *", after: 1_792_888_200 - 3600, zone: berlin) == 1_792_888_200)
        #expect(try next("30 2 * * *", after: 1_792_888_200, zone: berlin) == 1_792_888_200 + 86_400 + 3600)
    }

    @Test("zone names load from the system database or fail as Go's LoadLocation does")
    func zoneNames() throws {
        #expect(try ZoneRules.load(named: "UTC") == .utc)
        #expect(try ZoneRules.load(named: "Asia/Tokyo").offset(at: 1_796_638_020) == 9 * 3600)
        #expect(try ZoneRules.load(named: "America/New_York").offset(at: 1_782_889_200) == -4 * 3600)
        #expect(throws: ZoneRulesError("unknown time zone Mars/Olympus")) { try ZoneRules.load(named: "Mars/Olympus") }
        #expect(throws: ZoneRulesError("time: invalid location name")) { try ZoneRules.load(named: "../etc/passwd") }
        #expect(throws: ZoneRulesError("unknown time zone zone.tab")) { try ZoneRules.load(named: "zone.tab") }
    }

    @Test("times lists every firing in a window, for missed runs")
    func window() throws {
        let schedule = try CronSchedule(parsing: "*/10 * * * *")
        #expect(schedule.times(after: mondayMorning, through: mondayMorning + 3600) == [3, 13, 23, 33, 43, 53].map { mondayMorning + Int64($0) * 60 })
        #expect(schedule.times(after: mondayMorning, through: mondayMorning + 86_400, limit: 2).count == 2)
    }

    @Test("civil time round-trips and knows weekdays")
    func civil() {
        let time = CivilTime(mondayMorning)
        #expect([time.year, time.month, time.day, time.hour, time.minute, time.weekday] == [2026, 12, 7, 10, 7, 1])
        #expect(CivilTime.seconds(year: 2026, month: 12, day: 7, hour: 10, minute: 7) == mondayMorning)
        #expect(CivilTime(-1).year == 1969)
    }
}
