import SkiffAPI

/// Fields that take a count or a percentage (`maxSurge`, `maxUnavailable`, a PDB's
/// `minAvailable`): validated as Kubernetes' `ValidatePositiveIntOrPercent` does.
enum IntOrPercent {
    /// The count, or the percentage as `percent`; nil when neither.
    static func parse(_ value: JSON) -> (count: Int64?, percent: Int64?)? {
        if let number = value.int { return (number, nil) }
        guard let text = value.string, text.hasSuffix("%"), text.count > 1,
            text.dropLast().allSatisfy({ $0.isASCII && $0.isNumber }), let percent = Int64(text.dropLast())
        else { return nil }
        return (nil, percent)
    }

    /// Absent is fine; a negative count, a malformed or (with `atMost100`) above-100 percentage fails.
    static func validate(_ value: JSON, _ field: String, _ validator: inout Validator, atMost100: Bool = false) {
        guard !value.isNull else { return }
        guard let parsed = parse(value) else {
            if value.string != nil {
                return validator.fail(
                    field,
                    "Invalid value: \(value.serialized): a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"
                )
            }
            return validator.fail(field, "Invalid value: \(value.serialized): must be an integer or percentage (e.g '5%')")
        }
        if let count = parsed.count, count < 0 { validator.fail(field, "Invalid value: \(count): must be greater than or equal to 0") }
        if atMost100, let percent = parsed.percent, percent > 100 {
            validator.fail(field, "Invalid value: \(value.serialized): must not be greater than 100%")
        }
    }

    /// Whether the value is zero (as `0` or `"0%"`).
    static func isZero(_ value: JSON) -> Bool {
        guard let parsed = parse(value) else { return false }
        return parsed.count == 0 || parsed.percent == 0
    }

    /// maxSurge and maxUnavailable of a rolling update: each valid, not both zero.
    static func validateRollingUpdate(_ rollingUpdate: JSON, _ path: String, _ validator: inout Validator) {
        guard rollingUpdate.object != nil else { return }
        validate(rollingUpdate["maxUnavailable"], "\(path).maxUnavailable", &validator, atMost100: true)
        validate(rollingUpdate["maxSurge"], "\(path).maxSurge", &validator)
        if isZero(rollingUpdate["maxUnavailable"]) && isZero(rollingUpdate["maxSurge"]) {
            validator.fail("\(path).maxUnavailable", "Invalid value: \(rollingUpdate["maxUnavailable"].serialized): may not be 0 when `maxSurge` is 0")
        }
    }
}
