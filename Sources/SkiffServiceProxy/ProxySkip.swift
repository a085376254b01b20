/// Input the proxy left out of the table, and why: the caller turns it into an event or a log
/// line. The rest of the table is still programmed.
public struct ProxySkip: Sendable, Equatable, CustomStringConvertible {
    public var namespace: String
    public var name: String
    /// The Service port concerned, "" when the whole Service or a Service-wide field is.
    public var port: String
    public var reason: String

    public init(namespace: String, name: String, port: String = "", reason: String) {
        self.namespace = namespace
        self.name = name
        self.port = port
        self.reason = reason
    }

    public var description: String {
        port.isEmpty ? "\(namespace)/\(name): \(reason)" : "\(namespace)/\(name) port \(port): \(reason)"
    }
}
