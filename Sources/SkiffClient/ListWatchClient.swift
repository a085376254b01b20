import SkiffAPI

/// What an informer needs from a connection to the API server: a list, and a watch that streams
/// events until the server ends it. The agent's HTTPS client and in-process test fakes conform.
public protocol ListWatchClient: Sendable {
    /// GET of a collection path (with its query), answering the List object.
    func list(_ path: String) async throws -> JSON
    /// Streams a watch (`path` already carries `watch=true&resourceVersion=…`) until it ends.
    func watch(_ path: String, onEvent: @Sendable (WatchEvent) async throws -> Void) async throws
}

/// One watch event: ADDED, MODIFIED, DELETED, BOOKMARK or ERROR with its object.
public struct WatchEvent: Sendable {
    public var type: String
    public var object: JSON

    public init(type: String, object: JSON) {
        self.type = type
        self.object = object
    }
}
