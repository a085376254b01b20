/// Writes the Prometheus text exposition format (version 0.0.4): families sorted by name,
/// each with # HELP and # TYPE, samples sorted by their labels, as Go's client does.
public struct PrometheusText: Sendable {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public enum Kind: String, Sendable {
        case counter, gauge
    }

    public struct Sample: Sendable {
        /// Name/value pairs in the order they are printed (the callers keep them sorted by name).
        public var labels: [(String, String)]
        public var value: Double
        public var timestamp: StatsTime?

        public init(_ labels: [(String, String)], _ value: Double, at timestamp: StatsTime? = nil) {
            (self.labels, self.value, self.timestamp) = (labels, value, timestamp)
        }
    }

    private struct Family {
        var help: String
        var kind: Kind
        var samples: [Sample]
    }

    private var families: [String: Family] = [:]

    public init() {}

    /// Adds samples to the family `name` (created on first use). A family that never gets a
    /// sample is not printed, like an empty vector in the Go client.
    public mutating func add(_ name: String, help: String, _ kind: Kind, _ samples: [Sample]) {
        families[name, default: Family(help: help, kind: kind, samples: [])].samples += samples
    }

    public mutating func add(_ name: String, help: String, _ kind: Kind, _ sample: Sample) {
        add(name, help: help, kind, [sample])
    }

    public var text: String {
        var output = ""
        for (name, family) in families.sorted(by: { $0.key < $1.key }) where !family.samples.isEmpty {
            output += "# HELP \(name) \(Self.escapeHelp(family.help))\n# TYPE \(name) \(family.kind.rawValue)\n"
            let lines = family.samples.map { sample in
                (key: sample.labels.map { "\($0.0)=\($0.1)" }.joined(separator: "\u{0}"), line: Self.line(name, sample))
            }
            for entry in lines.sorted(by: { $0.key < $1.key }) { output += entry.line + "\n" }
        }
        return output
    }

    static func line(_ name: String, _ sample: Sample) -> String {
        var line = name
        if !sample.labels.isEmpty {
            line += "{" + sample.labels.map { "\($0.0)=\"\(escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
        }
        line += " " + format(sample.value)
        if let timestamp = sample.timestamp { line += " \(timestamp.milliseconds)" }
        return line
    }

    /// Integral values as integers, others in Swift's shortest round-trip form; both parse as
    /// Go floats. NaN and infinities use the spellings the format defines.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    static func escapeLabel(_ value: String) -> String {
        var result = ""
        for character in value {
            switch character {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n": result += "\\n"
            default: result.append(character)
            }
        }
        return result
    }

    static func escapeHelp(_ value: String) -> String {
        var result = ""
        for character in value {
            switch character {
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            default: result.append(character)
            }
        }
        return result
    }
}
