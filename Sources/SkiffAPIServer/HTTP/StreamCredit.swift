import Synchronization

/// Back-pressure between a streamed response's producer (a watch, a followed log) and the task
/// writing it to the connection: the producer may run at most `limit` chunks ahead of what the
/// connection has taken. Without it a client that reads slowly made the server buffer without
/// bound; with it a slow watcher stops draining its watch-cache queue, which then closes it.
final class StreamCredit: Sendable {
    private struct State {
        var outstanding = 0
        var closed = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    let limit: Int
    private let state = Mutex(State())

    init(limit: Int) {
        precondition(limit > 0, "a stream needs room for one chunk")
        self.limit = limit
    }

    /// Takes room for one chunk, waiting while `limit` are unwritten. Returns false once the
    /// stream is closed or the task cancelled (the producer stops).
    func acquire() async -> Bool {
        while true {
            let taken = state.withLock { state -> Bool? in
                if state.closed { return false }
                guard state.outstanding < limit else { return nil }
                state.outstanding += 1
                return true
            }
            if let taken { return taken }
            if Task.isCancelled { return false }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let ready = state.withLock { state in
                        if state.closed || state.outstanding < limit || Task.isCancelled { return true }
                        state.waiter = continuation
                        return false
                    }
                    if ready { continuation.resume() }
                }
            } onCancel: {
                wake()
            }
            if Task.isCancelled { return false }
        }
    }

    /// One chunk has been written to the connection.
    func release() {
        let waiter = state.withLock { state in
            state.outstanding -= 1
            return state.waiter.take()
        }
        waiter?.resume()
    }

    /// The connection is gone or the response finished: a waiting producer stops.
    func close() {
        let waiter = state.withLock { state in
            state.closed = true
            return state.waiter.take()
        }
        waiter?.resume()
    }

    private func wake() {
        // Resumed outside the lock, as everywhere the waiter is taken.
        let waiter = state.withLock { $0.waiter.take() }
        waiter?.resume()
    }
}
