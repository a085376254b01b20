/// A parsed field selector (`metadata.name=x,spec.nodeName!=`), evaluated against JSON paths.
public struct FieldSelector: Sendable, Equatable {
    public struct Requirement: Sendable, Equatable {
        public let field: String
        public let value: String
        public let equals: Bool
    }

    public var requirements: [Requirement]

    public init(parsing text: String) throws(SelectorError) {
        var requirements: [Requirement] = []
        for term in text.split(separator: ",") where !term.isEmpty {
            if let range = term.range(of: "!=") {
                requirements.append(Requirement(field: String(term[..<range.lowerBound]), value: String(term[range.upperBound...]), equals: false))
            } else if let range = term.range(of: "==") ?? term.range(of: "=") {
                requirements.append(Requirement(field: String(term[..<range.lowerBound]), value: String(term[range.upperBound...]), equals: true))
            } else {
                throw SelectorError("invalid field selector term \"\(term)\"")
            }
        }
        self.requirements = requirements
    }

    public var isEmpty: Bool { requirements.isEmpty }

    /// The value a selector names exactly (`metadata.name=x`), used to narrow a watch or list.
    public func exactValue(of field: String) -> String? {
        requirements.first { $0.field == field && $0.equals }?.value
    }

    public func matches(_ object: JSON) -> Bool {
        requirements.allSatisfy { requirement in
            let actual = Self.fieldValue(object.value(atPath: requirement.field))
            return (actual == requirement.value) == requirement.equals
        }
    }

    static func fieldValue(_ value: JSON) -> String {
        switch value {
        case .string(let string): string
        case .bool(let bool): bool ? "true" : "false"
        case .int(let int): String(int)
        default: ""
        }
    }
}
