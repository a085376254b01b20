import SkiffAPI

extension JSON {
    /// A number as a Double, whether it was written as an integer or not.
    var double: Double? {
        switch self {
        case .double(let value): return value
        case .int(let value): return Double(value)
        default: return nil
        }
    }
}
