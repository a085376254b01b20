/// RFC 7386 JSON merge patch (`application/merge-patch+json`).
public enum MergePatch {
    public static func apply(_ patch: JSON, to original: JSON) -> JSON {
        guard case .object(let patchFields) = patch else { return patch }
        var result: [String: JSON]
        if case .object(let originalFields) = original { result = originalFields } else { result = [:] }
        for (key, value) in patchFields {
            if value.isNull {
                result.removeValue(forKey: key)
            } else {
                result[key] = apply(value, to: result[key] ?? .null)
            }
        }
        return .object(result)
    }
}
