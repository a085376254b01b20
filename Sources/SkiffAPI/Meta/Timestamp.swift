import Foundation
import Synchronization

/// RFC 3339 timestamps with second precision, the `metav1.Time` wire format.
public enum Timestamp {
    public static func string(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: false))
    }

    /// The current second, formatted once per second: every write stamps one or more times.
    public static func now() -> String {
        let second = Date().timeIntervalSince1970.rounded(.down)
        if let cached = lastSecond.withLock({ $0?.second == second ? $0?.text : nil }) { return cached }
        let text = string(Date(timeIntervalSince1970: second))
        lastSecond.withLock { $0 = (second, text) }
        return text
    }

    private static let lastSecond = Mutex<(second: Double, text: String)?>(nil)

    public static func parse(_ text: String) -> Date? {
        try? Date.ISO8601FormatStyle().parse(text)
    }

    /// kubectl-style ages: `45s`, `12m`, `5h`, `3d`.
    public static func age(since text: String?, now: Date = Date()) -> String {
        guard let text, let date = parse(text) else { return "<unknown>" }
        let seconds = max(0, Int(now.timeIntervalSince(date)))
        switch seconds {
        case ..<120: return "\(seconds)s"
        case ..<(60 * 60): return "\(seconds / 60)m"
        case ..<(48 * 3600): return "\(seconds / 3600)h"
        default: return "\(seconds / 86400)d"
        }
    }
}

extension Timestamp {
    /// RFC 3339 with microseconds, the `metav1.MicroTime` wire format (Lease renewTime, Events).
    public static func microseconds(_ date: Date = Date()) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)).replacingOccurrences(of: "Z", with: "000Z")
    }
}
