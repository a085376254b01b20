/// A JSON value: the in-memory form of every Kubernetes object the control plane stores and
/// serves, and of the runtime's config.json, init request and state.json.
///
/// Objects are dictionaries; serialization sorts keys so output is deterministic.
public enum JSON: Sendable, Equatable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    /// An integer above `Int64.max`; only `JSON(parsing:exactIntegers: true)` makes these
    /// (OCI configs carry `RLIM_INFINITY` as 18446744073709551615).
    case uint(UInt64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    public static let emptyObject = JSON.object([:])

    public subscript(key: String) -> JSON {
        get {
            if case .object(let dictionary) = self { return dictionary[key] ?? .null }
            return .null
        }
        set {
            var dictionary: [String: JSON]
            if case .object(let existing) = self { dictionary = existing } else { dictionary = [:] }
            if case .null = newValue { dictionary.removeValue(forKey: key) } else { dictionary[key] = newValue }
            self = .object(dictionary)
        }
        // `object["metadata"]["name"] = …` changes both levels in place. Through get and set,
        // the member read out still shared its storage with the object (and the dictionary with
        // `self`), so every nested write copied each dictionary on the path.
        _modify {
            var dictionary: [String: JSON]
            if case .object(let existing) = self { dictionary = existing } else { dictionary = [:] }
            // `self` lets go of the dictionary, and the dictionary of the member: both are unique.
            self = .null
            var member = dictionary.removeValue(forKey: key) ?? .null
            defer {
                if case .null = member {} else { dictionary[key] = member }
                self = .object(dictionary)
            }
            yield &member
        }
    }

    /// Array elements by position; out of range reads as null and writes are ignored.
    public subscript(index: Int) -> JSON {
        get {
            if case .array(let elements) = self, elements.indices.contains(index) { return elements[index] }
            return .null
        }
        set {
            if case .array(var elements) = self, elements.indices.contains(index) {
                elements[index] = newValue
                self = .array(elements)
            }
        }
    }

    public var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var int: Int64? {
        switch self {
        case .int(let value): return value
        // A truncating conversion and compare rather than `rounded()`, which would need libm.
        case .double(let value) where abs(value) < 9e18 && Double(Int64(value)) == value: return Int64(value)
        default: return nil
        }
    }

    public var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public var array: [JSON]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var object: [String: JSON]? {
        if case .object(let value) = self { return value }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// `[String: String]` maps such as labels and annotations; non-string values are dropped.
    public var stringMap: [String: String] {
        guard let object else { return [:] }
        var result: [String: String] = [:]
        for (key, value) in object { if let string = value.string { result[key] = string } }
        return result
    }

    public init(stringMap: [String: String]) {
        self = .object(stringMap.mapValues { JSON.string($0) })
    }

    /// Follows a dotted path such as `spec.nodeName`.
    public func value(atPath path: String) -> JSON {
        var current = self
        for component in path.split(separator: ".") { current = current[String(component)] }
        return current
    }

    /// A short description of the value's type, for error messages.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .int, .uint, .double: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(nilLiteral: ()) { self = .null }
    public init(dictionaryLiteral elements: (String, JSON)...) {
        var dictionary: [String: JSON] = [:]
        for (key, value) in elements { dictionary[key] = value }
        self = .object(dictionary)
    }
}
