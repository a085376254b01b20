import ArgumentParser

/// A flag's duration written as Go's `time.ParseDuration` reads it ("50s", "1m30s", "500ms",
/// "2h"), as kube-controller-manager's duration flags are.
struct GoDurationArgument: ExpressibleByArgument, Sendable, Equatable, CustomStringConvertible {
    let duration: Duration
    let description: String

    init(_ duration: Duration, text: String) {
        self.duration = duration
        self.description = text
    }

    init?(argument: String) {
        let units: [(suffix: String, milliseconds: Int64)] = [("ms", 1), ("h", 3_600_000), ("m", 60_000), ("s", 1000)]
        var rest = Substring(argument)
        var total: Int64 = 0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isNumber }
            guard let value = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            guard let unit = units.first(where: { rest.hasPrefix($0.suffix) }) else { return nil }
            rest = rest.dropFirst(unit.suffix.count)
            total += value * unit.milliseconds
        }
        self.init(.milliseconds(total), text: argument)
    }
}
