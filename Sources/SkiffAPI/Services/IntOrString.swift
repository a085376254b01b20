/// A port given as a number or as a container port's name (a Service's `targetPort`).
public enum IntOrString: Sendable, Equatable, Hashable, JSONDecodable, JSONEncodable {
    case int(Int32)
    case string(String)

    public init(json: JSONField) throws(JSONShapeError) {
        switch json.value {
        case .string(let text): self = .string(text)
        default: self = .int(try Int32(json: json))
        }
    }

    public static var jsonTypeName: String { "Int32 or String" }

    public var json: JSON {
        switch self {
        case .int(let number): .int(Int64(number))
        case .string(let text): .string(text)
        }
    }
}
