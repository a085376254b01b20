/// What the node API asks of the agent: container logs, exec sessions, stats and the pod list.
/// The agent implements it; tests use a fake.
public protocol NodeAPIBackend: Sendable {
    /// The log of one container. A finite stream unless `options.follow`; the server cancels the
    /// consuming task (and so terminates the stream) when its client goes away. Throw
    /// `NodeAPIError.notFound` for an unknown pod or container.
    func logs(namespace: String, pod: String, container: String, options: LogOptions) async throws -> AsyncThrowingStream<[UInt8], any Error>

    /// Starts `command` in a running container. Throw `NodeAPIError.notFound` for an unknown pod
    /// or container, `.badRequest` when the container is not running.
    func exec(namespace: String, pod: String, container: String, command: [String], tty: Bool) async throws -> any ExecSession

    /// Attaches to a running container's own stdio (`kubectl attach`), for containers created
    /// with `stdin` or `tty`; `stdin` asks to write to it. The session's `terminate` detaches
    /// (the container keeps running), its `wait` returns when the container's output ends.
    /// Throw `NodeAPIError.notFound` for an unknown pod or container, `.badRequest` when it is
    /// not running or was not created for it.
    func attach(namespace: String, pod: String, container: String, stdin: Bool) async throws -> any ExecSession

    /// Connects to `port` on the pod's loopback address, inside its network namespace, for
    /// port-forwarding. Returns the connected TCP socket, which the caller owns. Throw
    /// `NodeAPIError.notFound` for an unknown pod; any error becomes that connection's message.
    func portForward(namespace: String, pod: String, port: UInt16) async throws -> ConnectedSocket

    /// kubelet's `/stats/summary` document (JSON).
    func statsSummary() async throws -> [UInt8]
    /// Prometheus text of `/metrics/resource`.
    func resourceMetrics() async throws -> [UInt8]
    /// Prometheus text of `/metrics/cadvisor`.
    func cadvisorMetrics() async throws -> [UInt8]
    /// The pod's recorded history (`/stats/history/{namespace}/{pod}`, JSON). Throw
    /// `NodeAPIError.notFound` for a pod this node has no history of.
    func statsHistory(namespace: String, pod: String) async throws -> [UInt8]
    /// A JSON PodList of the pods this agent runs (`/pods`).
    func pods() async throws -> [UInt8]
}

/// A connected stream socket handed from the backend to the node API, which closes it.
public struct ConnectedSocket: Sendable, Equatable {
    public let descriptor: Int32

    public init(descriptor: Int32) { self.descriptor = descriptor }
}

/// One running exec'd process, or an attach session to a container. Both output streams must
/// finish when the process's ends of the pipes close; `wait` returns once it has exited.
public protocol ExecSession: Sendable {
    /// Output of the process (with a tty: everything; then `stderr` may finish at once).
    var stdout: AsyncStream<[UInt8]> { get }
    var stderr: AsyncStream<[UInt8]> { get }
    func writeStdin(_ bytes: [UInt8]) async throws
    /// End of input (the client closed stdin, or did not ask for it).
    func closeStdin() async
    /// Terminal size change (only sent for tty sessions).
    func resize(width: UInt16, height: UInt16) async
    /// The exit code (128 + signal for a signalled process).
    func wait() async -> Int32
    /// The client went away before the process exited: kill it (attach: detach from it).
    func terminate() async
}

/// `GET /containerLogs` query parameters, as kubelet reads them.
public struct LogOptions: Sendable, Equatable {
    public var follow: Bool
    /// Only the last N lines.
    public var tailLines: Int?
    /// Prefix each line with its RFC 3339 timestamp.
    public var timestamps: Bool
    /// The previous (terminated) instance of the container.
    public var previous: Bool
    /// Stop after this many bytes.
    public var limitBytes: Int?
    /// Only lines newer than this many seconds.
    public var sinceSeconds: Int?
    /// Only lines at or after this RFC 3339 time (unparsed; kubectl sends e.g. `2026-11-22T10:00:00Z`).
    public var sinceTime: String?

    public init(
        follow: Bool = false, tailLines: Int? = nil, timestamps: Bool = false, previous: Bool = false, limitBytes: Int? = nil,
        sinceSeconds: Int? = nil, sinceTime: String? = nil
    ) {
        self.follow = follow
        self.tailLines = tailLines
        self.timestamps = timestamps
        self.previous = previous
        self.limitBytes = limitBytes
        self.sinceSeconds = sinceSeconds
        self.sinceTime = sinceTime
    }
}

/// Errors a backend throws to choose the HTTP status the caller sees.
public enum NodeAPIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 404: no such pod or container on this node.
    case notFound(String)
    /// 400: the request cannot be served as asked (e.g. container not running).
    case badRequest(String)

    public var description: String {
        switch self {
        case .notFound(let message), .badRequest(let message): message
        }
    }

    var status: Int {
        switch self {
        case .notFound: 404
        case .badRequest: 400
        }
    }
}
