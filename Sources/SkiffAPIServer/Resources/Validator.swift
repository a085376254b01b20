import SkiffAPI

/// Collects field errors for a 422 `Invalid` Status; an object with any cause is not stored.
public struct Validator: Sendable {
    public private(set) var causes: [(field: String, message: String)] = []

    public init() {}

    public mutating func fail(_ field: String, _ message: String) { causes.append((field, message)) }

    public mutating func require(_ value: JSON, _ field: String) {
        if value.isNull { fail(field, "Required value") }
    }

    public mutating func string(_ value: JSON, _ field: String, required: Bool = false, oneOf allowed: [String]? = nil) {
        switch value {
        case .null: if required { fail(field, "Required value") }
        case .string(let text):
            if required && text.isEmpty { fail(field, "Required value") }
            if let allowed, !text.isEmpty, !allowed.contains(text) {
                fail(field, "Unsupported value: \"\(text)\": supported values: \(allowed.map { "\"\($0)\"" }.joined(separator: ", "))")
            }
        default: fail(field, "Invalid value: must be a string")
        }
    }

    public mutating func integer(_ value: JSON, _ field: String, in range: ClosedRange<Int64>, required: Bool = false) {
        if value.isNull {
            if required { fail(field, "Required value") }
            return
        }
        guard let number = value.int else { return fail(field, "Invalid value: must be an integer") }
        if !range.contains(number) { fail(field, "Invalid value: \(number): must be between \(range.lowerBound) and \(range.upperBound), inclusive") }
    }

    public mutating func quantities(_ value: JSON, _ field: String) {
        guard !value.isNull else { return }
        guard let map = value.object else { return fail(field, "Invalid value: must be an object") }
        for (name, quantity) in map.sorted(by: { $0.key < $1.key }) {
            guard let parsed = Quantity(json: quantity) else {
                fail(
                    "\(field).\(name)",
                    "Invalid value: \(quantity.serialized): quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
                continue
            }
            if parsed.milliValue < 0 { fail("\(field).\(name)", "Invalid value: must be greater than or equal to 0") }
        }
    }

    public mutating func stringMap(_ value: JSON, _ field: String, labels: Bool) {
        guard !value.isNull else { return }
        guard let map = value.object else { return fail(field, "Invalid value: must be an object of strings") }
        for (key, entry) in map.sorted(by: { $0.key < $1.key }) {
            if let problem = ObjectNames.labelKeyProblem(key) { fail(field, "Invalid value: \"\(key)\": \(problem)") }
            guard let text = entry.string else {
                fail("\(field).\(key)", "Invalid value: must be a string")
                continue
            }
            if labels, let problem = ObjectNames.labelValueProblem(text) { fail("\(field).\(key)", "Invalid value: \"\(text)\": \(problem)") }
        }
    }
}
