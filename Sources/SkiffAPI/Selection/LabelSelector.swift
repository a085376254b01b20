import Foundation

/// A parsed label selector (`app=web,tier!=db,env in (a,b),!legacy`), as in `?labelSelector=`
/// and `spec.selector` (matchLabels + matchExpressions).
public struct LabelSelector: Sendable, Equatable {
    public enum Requirement: Sendable, Equatable {
        case equals(String, String)
        case notEquals(String, String)
        case isIn(String, Set<String>)
        case notIn(String, Set<String>)
        case exists(String)
        case doesNotExist(String)

        func matches(_ labels: [String: String]) -> Bool {
            switch self {
            case .equals(let key, let value): labels[key] == value
            case .notEquals(let key, let value): labels[key] != value
            case .isIn(let key, let values): labels[key].map(values.contains) ?? false
            case .notIn(let key, let values): labels[key].map { !values.contains($0) } ?? true
            case .exists(let key): labels[key] != nil
            case .doesNotExist(let key): labels[key] == nil
            }
        }
    }

    public var requirements: [Requirement]
    public static let everything = LabelSelector(requirements: [])

    public init(requirements: [Requirement]) { self.requirements = requirements }

    public var isEmpty: Bool { requirements.isEmpty }

    public func matches(_ labels: [String: String]) -> Bool { requirements.allSatisfy { $0.matches(labels) } }

    /// Parses the query-string form; throws a message suitable for a 400 Status.
    public init(parsing text: String) throws(SelectorError) {
        var requirements: [Requirement] = []
        for term in Self.splitTerms(text) {
            let trimmed = term.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            requirements.append(try Self.parseTerm(trimmed))
        }
        self.requirements = requirements
    }

    /// `matchLabels` + `matchExpressions` of a `metav1.LabelSelector` object.
    public init(object: JSON) throws(SelectorError) {
        var requirements: [Requirement] = object["matchLabels"].stringMap.sorted { $0.key < $1.key }.map { .equals($0.key, $0.value) }
        for expression in object["matchExpressions"].array ?? [] {
            guard let key = expression["key"].string else { throw SelectorError("matchExpressions entry without key") }
            let values = Set((expression["values"].array ?? []).compactMap(\.string))
            switch expression["operator"].string {
            case "In": requirements.append(.isIn(key, values))
            case "NotIn": requirements.append(.notIn(key, values))
            case "Exists": requirements.append(.exists(key))
            case "DoesNotExist": requirements.append(.doesNotExist(key))
            case let other: throw SelectorError("\(other ?? "missing") is not a valid label selector operator")
            }
        }
        self.requirements = requirements
    }

    /// Splits on commas that are not inside parentheses.
    static func splitTerms(_ text: String) -> [String] {
        var terms: [String] = []
        var current = ""
        var depth = 0
        for character in text {
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            if character == "," && depth == 0 {
                terms.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        terms.append(current)
        return terms
    }

    static func parseTerm(_ term: String) throws(SelectorError) -> Requirement {
        if term.hasPrefix("!") { return .doesNotExist(try validKey(String(term.dropFirst()))) }
        for (op, isEqual) in [("!=", false), ("==", true), ("=", true)] {
            if let range = term.range(of: op) {
                let key = try validKey(String(term[..<range.lowerBound]))
                let value = term[range.upperBound...].trimmingCharacters(in: .whitespaces)
                return isEqual ? .equals(key, value) : .notEquals(key, value)
            }
        }
        for (op, isIn) in [(" notin ", false), (" in ", true)] {
            if let range = term.range(of: op) {
                let key = try validKey(String(term[..<range.lowerBound]))
                let list = term[range.upperBound...].trimmingCharacters(in: .whitespaces)
                guard list.hasPrefix("("), list.hasSuffix(")") else { throw SelectorError("unable to parse requirement: \(term)") }
                let values = Set(list.dropFirst().dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
                return isIn ? .isIn(key, values) : .notIn(key, values)
            }
        }
        return .exists(try validKey(term))
    }

    static func validKey(_ raw: String) throws(SelectorError) -> String {
        let key = raw.trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || "-_./".contains($0) }) else {
            throw SelectorError("invalid label key \"\(key)\"")
        }
        return key
    }
}

/// A malformed label or field selector.
public struct SelectorError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
