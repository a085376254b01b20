/// A config.json that cannot run, naming the field at fault: `linux.namespaces[2].type "foo": …`.
public struct SpecError: Error, CustomStringConvertible, Equatable, Sendable {
    public let field: String
    public let problem: String

    public init(_ field: String, _ problem: String) {
        self.field = field
        self.problem = problem
    }

    public var description: String { "config.json: \(field): \(problem)" }
}
