/// A Kubernetes resource quantity (`100m`, `1.5Gi`, `2e3`), held as milli-units.
public struct Quantity: Sendable, Equatable, Comparable, CustomStringConvertible {
    /// The value times 1000, saturating at Int64's range; CPU uses this directly as millicores.
    public let milliValue: Int64

    public init(milliValue: Int64) { self.milliValue = milliValue }

    /// The whole-unit value rounded up (bytes for memory).
    public var value: Int64 { milliValue >= 0 ? (milliValue + 999) / 1000 : milliValue / 1000 }

    public static func < (lhs: Quantity, rhs: Quantity) -> Bool { lhs.milliValue < rhs.milliValue }

    public var description: String {
        milliValue % 1000 == 0 ? String(milliValue / 1000) : "\(milliValue)m"
    }

    static let binarySuffixes: [String: Double] = [
        "Ki": 1024, "Mi": 1_048_576, "Gi": 1_073_741_824, "Ti": 1_099_511_627_776,
        "Pi": 1_125_899_906_842_624, "Ei": 1_152_921_504_606_846_976,
    ]
    static let decimalSuffixes: [String: Double] = [
        "n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
    ]

    /// Parses the canonical grammar: sign, digits with an optional fraction, then a binary suffix,
    /// a decimal suffix, or an exponent. Anything else is nil (the API server's 422).
    public init?(parsing text: String) {
        var scalars = Substring(text)
        var sign = 1.0
        if scalars.first == "+" || scalars.first == "-" {
            if scalars.first == "-" { sign = -1 }
            scalars = scalars.dropFirst()
        }
        let number = scalars.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        let suffix = scalars.dropFirst(number.count)
        guard !number.isEmpty, number.filter({ $0 == "." }).count <= 1, number != ".",
            let magnitude = Double(number.hasPrefix(".") ? "0" + number : String(number))
        else { return nil }
        let multiplier: Double
        if let binary = Self.binarySuffixes[String(suffix)] {
            multiplier = binary
        } else if let decimal = Self.decimalSuffixes[String(suffix)] {
            multiplier = decimal
        } else if suffix.first == "e" || suffix.first == "E", let exponent = Int(suffix.dropFirst()), abs(exponent) < 30 {
            var power = 1.0
            for _ in 0..<abs(exponent) { power *= 10 }
            multiplier = exponent < 0 ? 1 / power : power
        } else {
            return nil
        }
        let milli = (sign * magnitude * multiplier * 1000).rounded(.up)
        milliValue = milli >= 9.2e18 ? Int64.max : (milli <= -9.2e18 ? Int64.min : Int64(milli))
    }

    /// Reads a quantity that the wire format may carry as a string or a bare number.
    public init?(json: JSON) {
        switch json {
        case .string(let text): self.init(parsing: text)
        case .int(let number): self.init(milliValue: number.multipliedReportingOverflow(by: 1000).overflow ? Int64.max : number * 1000)
        case .double(let number): self.init(parsing: String(number))
        default: return nil
        }
    }
}

extension Quantity: JSONDecodable {
    /// A quantity inside a typed object (`resources.limits.memory`): a string or a bare number;
    /// anything else is an error naming the field.
    public init(json: JSONField) throws(JSONShapeError) {
        guard let quantity = Quantity(json: json.value) else {
            throw json.error("expected a quantity such as \"500m\" or \"64Mi\", found \(json.value.serialized)")
        }
        self = quantity
    }

    public static var jsonTypeName: String { "a quantity" }
}
