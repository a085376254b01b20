extension JSONField {
    /// The field `key`, or `fallback` when it is missing or null: Kubernetes' defaulting (and Go's
    /// zero value for nested structs such as `securityContext`), in the one place pods are decoded.
    func field<T: JSONDecodable>(_ key: String, default fallback: T) throws(JSONShapeError) -> T {
        try optional(key, as: T.self) ?? fallback
    }

    /// A string field that must be one of an enum's raw values; missing or null is `fallback`.
    func choice<T: RawRepresentable>(_ key: String, default fallback: T) throws(JSONShapeError) -> T where T.RawValue == String {
        guard let value = try optionalChoice(key, as: T.self) else { return fallback }
        return value
    }

    func optionalChoice<T: RawRepresentable>(_ key: String, as type: T.Type) throws(JSONShapeError) -> T? where T.RawValue == String {
        guard let text = try optional(key, as: String.self) else { return nil }
        guard let value = T(rawValue: text) else {
            throw JSONShapeError(path: path.isEmpty ? key : path + "." + key, problem: "unsupported value \"\(text)\"")
        }
        return value
    }

    /// Whether the object has `key` set to something other than null.
    func has(_ key: String) throws(JSONShapeError) -> Bool {
        guard let child = try fields()[key] else { return false }
        return !child.isNull
    }
}
