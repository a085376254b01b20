import SkiffAPI

/// Writes chunks of a streamed response (watch events); throws once the client has gone.
public struct StreamWriter: Sendable {
    public let write: @Sendable ([UInt8]) async throws -> Void

    public init(write: @escaping @Sendable ([UInt8]) async throws -> Void) { self.write = write }
}

/// A response: a complete body, or a stream produced while the client stays connected.
public struct APIResponse: Sendable {
    public enum Body: Sendable {
        case bytes([UInt8])
        case stream(@Sendable (StreamWriter) async throws -> Void)
    }

    public var status: Int
    public var contentType: String
    public var headers: [(String, String)]
    public var body: Body

    public init(status: Int, contentType: String = "application/json", headers: [(String, String)] = [], body: Body) {
        self.status = status
        self.contentType = contentType
        self.headers = headers
        self.body = body
    }

    public static func json(_ value: JSON, status: Int = 200, contentType: String = "application/json") -> APIResponse {
        APIResponse(status: status, contentType: contentType, body: .bytes(value.bytes))
    }

    public static func text(_ value: String, status: Int = 200) -> APIResponse {
        APIResponse(status: status, contentType: "text/plain; charset=utf-8", body: .bytes(Array(value.utf8)))
    }

    public static func error(_ error: APIError) -> APIResponse { json(error.status, status: error.code) }

    /// The body when it is not streamed (tests read it directly).
    public var bodyBytes: [UInt8] {
        if case .bytes(let bytes) = body { return bytes }
        return []
    }
}
