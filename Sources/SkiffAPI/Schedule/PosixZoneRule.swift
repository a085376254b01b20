/// A POSIX TZ string (`std offset [dst [offset] [,start[/time],end[/time]]]`) as TZif footers
/// carry it: the rule for instants past a zone's transition table. Start and end dates in the
/// `Mm.w.d` form (the one tzdata writes), `Jn` and `n`.
struct PosixZoneRule: Sendable, Hashable {
    /// Offsets to add to UTC (POSIX writes them negated: `CET-1` is UTC+1).
    let standardOffset: Int32
    let daylightOffset: Int32?
    let start: Change?
    let end: Change?

    struct Change: Sendable, Hashable {
        enum Day: Sendable, Hashable {
            /// Month 1–12, week 1–5 (5 = last), weekday 0–6.
            case monthWeekDay(month: Int, week: Int, weekday: Int)
            /// 1–365, February 29th never counted.
            case julian(Int)
            /// 0–365, February 29th counted.
            case zeroBased(Int)
        }

        let day: Day
        /// Seconds after local midnight (may be negative or past 24 h).
        let time: Int64

        /// The change's wall-clock instant in `year`, read as UTC.
        func localSeconds(year: Int) -> Int64 {
            let days: Int64
            switch day {
            case .monthWeekDay(let month, let week, let weekday):
                let first = CivilTime.days(year: year, month: month, day: 1)
                let firstWeekday = Int(((first % 7) + 11) % 7)
                var dayOfMonth = 1 + (weekday - firstWeekday + 7) % 7 + (week - 1) * 7
                while dayOfMonth > CivilTime.daysIn(month: month, year: year) { dayOfMonth -= 7 }
                days = first + Int64(dayOfMonth - 1)
            case .julian(let number):
                let leapShift = CivilTime.isLeap(year) && number >= 60 ? 1 : 0
                days = CivilTime.days(year: year, month: 1, day: 1) + Int64(number - 1 + leapShift)
            case .zeroBased(let number):
                days = CivilTime.days(year: year, month: 1, day: 1) + Int64(number)
            }
            return days * 86_400 + time
        }
    }

    init?(parsing text: String) {
        var scanner = PosixScanner(Array(text.utf8))
        guard scanner.name(), let standard = scanner.offset() else { return nil }
        standardOffset = Int32(-standard)
        guard scanner.name() else {
            daylightOffset = nil
            start = nil
            end = nil
            return
        }
        if let daylight = scanner.offset() { daylightOffset = Int32(-daylight) } else { daylightOffset = standardOffset + 3600 }
        guard scanner.consume(","), let start = scanner.change(), scanner.consume(","), let end = scanner.change() else { return nil }
        self.start = start
        self.end = end
    }

    func offset(at instant: Int64) -> Int32 {
        guard let daylightOffset, let start, let end else { return standardOffset }
        let year = CivilTime(instant + Int64(standardOffset)).year
        // The start is written in standard time, the end in daylight time.
        let startsAt = start.localSeconds(year: year) - Int64(standardOffset)
        let endsAt = end.localSeconds(year: year) - Int64(daylightOffset)
        let daylight = startsAt < endsAt ? (instant >= startsAt && instant < endsAt) : !(instant >= endsAt && instant < startsAt)
        return daylight ? daylightOffset : standardOffset
    }
}

/// Reads the pieces of a POSIX TZ string.
struct PosixScanner {
    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    mutating func consume(_ character: Character) -> Bool {
        guard let current, current == character.asciiValue else { return false }
        position += 1
        return true
    }

    /// A zone abbreviation: letters, or anything between `<` and `>`.
    mutating func name() -> Bool {
        if consume("<") {
            while let current, current != UInt8(ascii: ">") { position += 1 }
            return consume(">")
        }
        let start = position
        while let current, (current >= 65 && current <= 90) || (current >= 97 && current <= 122) { position += 1 }
        return position - start >= 3
    }

    mutating func number() -> Int64? {
        let start = position
        var value: Int64 = 0
        while let current, current >= 48 && current <= 57 {
            value = value * 10 + Int64(current - 48)
            position += 1
        }
        return position > start ? value : nil
    }

    /// `[+-]hh[:mm[:ss]]` in seconds.
    mutating func offset() -> Int64? {
        var sign: Int64 = 1
        if consume("-") { sign = -1 } else { _ = consume("+") }
        guard let hours = number() else { return nil }
        var seconds = hours * 3600
        if consume(":"), let minutes = number() {
            seconds += minutes * 60
            if consume(":"), let secs = number() { seconds += secs }
        }
        return sign * seconds
    }

    mutating func change() -> PosixZoneRule.Change? {
        let day: PosixZoneRule.Change.Day
        if consume("M") {
            guard let month = number(), consume("."), let week = number(), consume("."), let weekday = number(),
                (1...12).contains(month), (1...5).contains(week), (0...6).contains(weekday)
            else { return nil }
            day = .monthWeekDay(month: Int(month), week: Int(week), weekday: Int(weekday))
        } else if consume("J") {
            guard let number = number(), (1...365).contains(number) else { return nil }
            day = .julian(Int(number))
        } else {
            guard let number = number(), (0...365).contains(number) else { return nil }
            day = .zeroBased(Int(number))
        }
        var time: Int64 = 7200
        if consume("/") {
            guard let parsed = offset() else { return nil }
            time = parsed
        }
        return PosixZoneRule.Change(day: day, time: time)
    }
}
