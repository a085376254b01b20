import Glibc

/// An instant read from or written to a CRI log: seconds and nanoseconds since the Unix epoch.
public struct CRITimestamp: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var seconds: Int64
    public var nanoseconds: Int32

    public init(seconds: Int64, nanoseconds: Int32 = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    /// Parses RFC 3339 with any number of fraction digits and a `Z` or `±hh:mm` offset, which
    /// covers what containerd (local offset), conmon and skiff-monitor (`Z`) write.
    public init?(_ text: some StringProtocol) {
        let b = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= b.count else { return nil }
            var value: Int64 = 0
            for i in range {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                value = value * 10 + Int64(b[i] - 48)
            }
            return value
        }
        func isByte(_ i: Int, _ c: Character) -> Bool { i < b.count && b[i] == c.asciiValue }
        guard let year = number(0..<4), isByte(4, "-"), let month = number(5..<7), isByte(7, "-"),
            let day = number(8..<10), isByte(10, "T") || isByte(10, "t") || isByte(10, " "),
            let hour = number(11..<13), isByte(13, ":"), let minute = number(14..<16), isByte(16, ":"),
            let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var i = 19
        var nanos: Int64 = 0
        if isByte(i, ".") {
            i += 1
            var digits = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                if digits < 9 { nanos = nanos * 10 + Int64(b[i] - 48) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 9) { nanos *= 10 }
        }
        var offset: Int64 = 0
        if isByte(i, "Z") || isByte(i, "z") {
            i += 1
        } else if isByte(i, "+") || isByte(i, "-") {
            guard let h = number((i + 1)..<(i + 3)), isByte(i + 3, ":"), let m = number((i + 4)..<(i + 6)) else { return nil }
            offset = (h * 60 + m) * 60 * (b[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = Self.daysFromCivil(year: year, month: month, day: day)
        seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset
        nanoseconds = Int32(nanos)
    }

    /// Now, from the real-time clock.
    public static func now() -> CRITimestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return CRITimestamp(seconds: Int64(spec.tv_sec), nanoseconds: Int32(spec.tv_nsec))
    }

    /// Go's `time.RFC3339Nano` in UTC, which the kubelet prints for `kubectl logs --timestamps`:
    /// trailing zeros of the fraction dropped, and no fraction at all for a whole second.
    public var rfc3339Nano: String {
        var fraction = ""
        if nanoseconds != 0 {
            var digits = String(nanoseconds)
            digits = String(repeating: "0", count: 9 - digits.count) + digits
            while digits.last == "0" { digits.removeLast() }
            fraction = "." + digits
        }
        return datePart + fraction + "Z"
    }

    /// Nine fraction digits, always: the fixed-width form skiff-monitor writes.
    public var fixedWidth: String {
        var digits = String(nanoseconds)
        digits = String(repeating: "0", count: 9 - digits.count) + digits
        return datePart + "." + digits + "Z"
    }

    public var description: String { rfc3339Nano }

    public static func < (lhs: CRITimestamp, rhs: CRITimestamp) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }

    private var datePart: String {
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let rest = seconds - days * 86400
        let (year, month, day) = Self.civilFromDays(days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(rest / 3600, 2)):\(pad(rest / 60 % 60, 2)):\(pad(rest % 60, 2))"
    }

    // Howard Hinnant's days_from_civil / civil_from_days: exact for the proleptic Gregorian
    // calendar, no time zone database involved.
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func civilFromDays(_ days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
