/// Why a patch document could not be applied; the API server answers these with 422 or 400.
public struct PatchError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
