import Logging
import Synchronization

/// Sends every API request to the current server of `ServerEndpoints` and moves on to the next
/// server when one fails: no connection, a timeout, or a 5xx answer. One call tries each server
/// at most once, waiting a jittered back-off between tries; when all failed it throws the last
/// error and the caller's own retry (an informer's relist, the next heartbeat) comes back later.
/// Answers that are the request's fault (4xx) are the caller's to handle and never move the agent.
///
/// The servers of one cluster share the store, the CA and the node credentials, so a request
/// means the same on any of them; retrying a write that reached a dying server is what a
/// Kubernetes client does after a timeout too (creates answer AlreadyExists, updates Conflict).
public final class ServerFailover: Sendable {
    public typealias Sleep = @Sendable (Duration) async throws -> Void

    private let endpoints: Mutex<ServerEndpoints>
    private let logger: Logger
    private let sleep: Sleep
    private let jitter: @Sendable () -> Double

    public init(
        endpoints: ServerEndpoints, logger: Logger, sleep: @escaping Sleep = { try await Task.sleep(for: $0) },
        jitter: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }
    ) {
        self.endpoints = Mutex(endpoints)
        self.logger = logger
        self.sleep = sleep
        self.jitter = jitter
    }

    /// The server requests go to now.
    public var currentURL: String { endpoints.withLock { $0.currentURL } }

    /// The state as it is now (for tests and logs).
    public var snapshot: ServerEndpoints { endpoints.withLock { $0 } }

    /// Runs `request` against the current server's base URL, failing over as described above.
    public func perform<T: Sendable>(_ request: (String) async throws -> T) async throws -> T {
        let attempts = endpoints.withLock { $0.urls.count }
        var attempt = 0
        while true {
            attempt += 1
            let url = currentURL
            do {
                let result = try await request(url)
                endpoints.withLock { $0.succeeded(url) }
                return result
            } catch {
                guard Self.isServerFailure(error), !Task.isCancelled else { throw error }
                let wait = serverFailed(url, error: error)
                guard attempt < attempts else { throw error }
                try await sleep(wait)
            }
        }
    }

    /// Records that `url` failed with `error` (also for a watch stream that broke after it had
    /// started); returns the back-off before the next try.
    @discardableResult
    public func serverFailed(_ url: String, error: any Error) -> Duration {
        let (next, wait) = endpoints.withLock { endpoints in
            let next = endpoints.failed(url)
            return (next, endpoints.backoff(jitter: jitter()))
        }
        if let next {
            logger.warning(
                "API server failed; switching to the next one",
                metadata: ["from": "\(url)", "to": "\(next)", "error": "\(error)"])
        }
        return wait
    }

    /// Whether `error` says the server (or the way to it) failed rather than the request: every
    /// transport error (refused, reset, TLS, timeout) and 5xx answers.
    public static func isServerFailure(_ error: any Error) -> Bool {
        if error is CancellationError { return false }
        if let answer = error as? APIClientError { return answer.code >= 500 }
        if error is ServerSwitched { return false }
        return true
    }
}

/// Ends a watch that is still following a server the agent has moved away from, so the informer
/// relists on the current one.
public struct ServerSwitched: Error, CustomStringConvertible {
    public let from: String
    public let to: String
    public var description: String { "the agent moved from \(from) to \(to); watching again there" }
}
