/// A JSON document of the wrong shape, naming where: `process.rlimits[0].hard: expected UInt64`.
public struct JSONShapeError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Dotted path with `[index]` for array elements; empty for the top level.
    public let path: String
    public let problem: String

    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path.isEmpty ? "(top level)" : path): \(problem)" }
}

/// A value inside a JSON document together with its path, so typed reads can say where a
/// document is wrong. Hand-written `init(json:)`s read their fields through it instead of
/// Codable, whose per-type runtime metadata lookups dominate a short-lived process's start.
public struct JSONField: Sendable {
    public let value: JSON
    public let path: String

    public init(_ value: JSON, path: String = "") {
        self.value = value
        self.path = path
    }

    public func error(_ problem: String) -> JSONShapeError { JSONShapeError(path: path, problem: problem) }

    /// The object's fields; anything else is an error naming this path.
    public func fields() throws(JSONShapeError) -> [String: JSON] {
        guard case .object(let fields) = value else { throw error("expected an object, found \(value.typeName)") }
        return fields
    }

    /// The field `key`, or nil when it is missing or null (as Codable's `decodeIfPresent`).
    public func optional<T: JSONDecodable>(_ key: String, as type: T.Type = T.self) throws(JSONShapeError) -> T? {
        let fields = try fields()
        guard let child = fields[key], !child.isNull else { return nil }
        return try T(json: JSONField(child, path: childPath(key)))
    }

    /// The field `key`; missing or null is an error.
    public func required<T: JSONDecodable>(_ key: String, as type: T.Type = T.self) throws(JSONShapeError) -> T {
        let fields = try fields()
        guard let child = fields[key] else {
            throw JSONShapeError(path: childPath(key), problem: "required field is missing")
        }
        guard !child.isNull else { throw JSONShapeError(path: childPath(key), problem: "expected \(T.jsonTypeName), found null") }
        return try T(json: JSONField(child, path: childPath(key)))
    }

    func childPath(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    public func string() throws(JSONShapeError) -> String {
        guard case .string(let text) = value else { throw error("expected String, found \(value.typeName)") }
        return text
    }

    public func bool() throws(JSONShapeError) -> Bool {
        guard case .bool(let flag) = value else { throw error("expected Bool, found \(value.typeName)") }
        return flag
    }

    public func double() throws(JSONShapeError) -> Double {
        switch value {
        case .int(let number): return Double(number)
        case .uint(let number): return Double(number)
        case .double(let number): return number
        default: throw error("expected Double, found \(value.typeName)")
        }
    }

    /// An integer that fits `T`; fractions and out-of-range numbers are errors.
    public func integer<T: FixedWidthInteger>(_ type: T.Type, name: String) throws(JSONShapeError) -> T {
        let result: T?
        switch value {
        case .int(let number): result = T(exactly: number)
        case .uint(let number): result = T(exactly: number)
        case .double(let number):
            // Whole numbers written as 1e3 or 2.0; compared without libm (`T(exactly:)` needs trunc).
            let whole = abs(number) < 9e18 && Double(Int64(number)) == number
            result = whole ? T(exactly: Int64(number)) : nil
        default: throw error("expected \(name), found \(value.typeName)")
        }
        guard let result else { throw error("expected \(name), found \(value.serialized), which does not fit") }
        return result
    }

    public func array<T: JSONDecodable>(of type: T.Type = T.self) throws(JSONShapeError) -> [T] {
        guard case .array(let elements) = value else { throw error("expected Array, found \(value.typeName)") }
        var result: [T] = []
        result.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            result.append(try T(json: JSONField(element, path: path + "[\(index)]")))
        }
        return result
    }

    public func dictionary<T: JSONDecodable>(of type: T.Type = T.self) throws(JSONShapeError) -> [String: T] {
        let fields = try fields()
        var result: [String: T] = [:]
        result.reserveCapacity(fields.count)
        for (key, element) in fields {
            result[key] = try T(json: JSONField(element, path: childPath(key)))
        }
        return result
    }
}

/// A type read from a JSON value by hand, with errors that name the field.
public protocol JSONDecodable {
    init(json: JSONField) throws(JSONShapeError)
    /// How errors name the type: "expected UInt64".
    static var jsonTypeName: String { get }
}

extension JSONDecodable {
    public static var jsonTypeName: String { "an object" }

    /// Parses and maps a whole document; `JSONParseError` for bad text, `JSONShapeError` for a
    /// wrong shape. Integers keep their full unsigned range.
    public init(jsonBytes bytes: [UInt8]) throws {
        try self.init(json: JSONField(try JSON(parsing: bytes, exactIntegers: true)))
    }
}

/// A type written as a JSON value by hand; nil optionals are left out of objects.
public protocol JSONEncodable {
    var json: JSON { get }
}

extension String: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) { self = try json.string() }
    public static var jsonTypeName: String { "String" }
    public var json: JSON { .string(self) }
}

extension Bool: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) { self = try json.bool() }
    public static var jsonTypeName: String { "Bool" }
    public var json: JSON { .bool(self) }
}

extension Double: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) { self = try json.double() }
    public static var jsonTypeName: String { "Double" }
    public var json: JSON { .double(self) }
}

extension Int: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) { self = try json.integer(Int.self, name: "Int") }
    public static var jsonTypeName: String { "Int" }
    public var json: JSON { .int(Int64(self)) }
}

extension Int32: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) { self = try json.integer(Int32.self, name: "Int32") }
    public static var jsonTypeName: String { "Int32" }
    public var json: JSON { .int(Int64(self)) }
}

extension Int64: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) { self = try json.integer(Int64.self, name: "Int64") }
    public static var jsonTypeName: String { "Int64" }
    public var json: JSON { .int(self) }
}

extension UInt16: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) { self = try json.integer(UInt16.self, name: "UInt16") }
    public static var jsonTypeName: String { "UInt16" }
    public var json: JSON { .int(Int64(self)) }
}

extension UInt32: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) { self = try json.integer(UInt32.self, name: "UInt32") }
    public static var jsonTypeName: String { "UInt32" }
    public var json: JSON { .int(Int64(self)) }
}

extension UInt64: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) { self = try json.integer(UInt64.self, name: "UInt64") }
    public static var jsonTypeName: String { "UInt64" }
    public var json: JSON { self <= UInt64(Int64.max) ? .int(Int64(self)) : .uint(self) }
}

extension Array: JSONDecodable where Element: JSONDecodable {
    public init(json: JSONField) throws(JSONShapeError) { self = try json.array(of: Element.self) }
    public static var jsonTypeName: String { "Array" }
}

extension Array: JSONEncodable where Element: JSONEncodable {
    public var json: JSON { .array(map { $0.json }) }
}

extension Dictionary: JSONDecodable where Key == String, Value: JSONDecodable {
    public init(json: JSONField) throws(JSONShapeError) { self = try json.dictionary(of: Value.self) }
    public static var jsonTypeName: String { "an object" }
}

extension Dictionary: JSONEncodable where Key == String, Value: JSONEncodable {
    public var json: JSON { .object(mapValues { $0.json }) }
}

extension JSON: JSONDecodable, JSONEncodable {
    public init(json: JSONField) { self = json.value }
    public static var jsonTypeName: String { "a value" }
    public var json: JSON { self }
}
