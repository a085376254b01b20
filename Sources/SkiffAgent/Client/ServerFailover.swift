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

    private struct State {
        var endpoints: ServerEndpoints
        /// Watches waiting for the agent to leave a server, by id: woken when it does.
        var waiters: [Int: (server: String, waiter: CheckedContinuation<Void, Never>)] = [:]
        var nextWaiter = 0
    }

    private let state: Mutex<State>
    private let logger: Logger
    private let sleep: Sleep
    private let jitter: @Sendable () -> Double

    public init(
        endpoints: ServerEndpoints, logger: Logger, sleep: @escaping Sleep = { try await Task.sleep(for: $0) },
        jitter: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }
    ) {
        self.state = Mutex(State(endpoints: endpoints))
        self.logger = logger
        self.sleep = sleep
        self.jitter = jitter
    }

    /// The server requests go to now.
    public var currentURL: String { state.withLock { $0.endpoints.currentURL } }

    /// The state as it is now (for tests and logs).
    public var snapshot: ServerEndpoints { state.withLock { $0.endpoints } }

    /// Runs `request` against the current server's base URL, failing over as described above.
    public func perform<T: Sendable>(_ request: (String) async throws -> T) async throws -> T {
        let attempts = state.withLock { $0.endpoints.urls.count }
        var attempt = 0
        while true {
            attempt += 1
            let url = currentURL
            do {
                let result = try await request(url)
                state.withLock { $0.endpoints.succeeded(url) }
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
        let (next, wait, woken) = state.withLock { state in
            let next = state.endpoints.failed(url)
            var woken: [CheckedContinuation<Void, Never>] = []
            if next != nil {
                for (id, entry) in state.waiters where entry.server != state.endpoints.currentURL {
                    woken.append(entry.waiter)
                    state.waiters.removeValue(forKey: id)
                }
            }
            return (next, state.endpoints.backoff(jitter: jitter()), woken)
        }
        for waiter in woken { waiter.resume() }
        if let next {
            logger.warning(
                "API server failed; switching to the next one",
                metadata: ["from": "\(url)", "to": "\(next)", "error": "\(error)"])
        }
        return wait
    }

    /// Returns once requests no longer go to `server` (at once when they do not now), or when the
    /// waiting task is cancelled: a watch on a server that stopped answering without closing its
    /// connections (a host gone from the network) would otherwise wait for data that never comes.
    public func waitUntilAway(from server: String) async {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.endpoints.currentURL != server || Task.isCancelled { return true }
                    state.waiters[id] = (server, waiter)
                    return false
                }
                if resumeNow { waiter.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.waiter.resume()
        }
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
