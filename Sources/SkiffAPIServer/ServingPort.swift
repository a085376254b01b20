import Synchronization

/// The port the HTTPS listener is bound to, known only once it runs (`--port 0` picks a free
/// one): what the `kubernetes` Service's endpoints must name.
public final class ServingPort: Sendable {
    private let port = Mutex<Int?>(nil)
    private let announcements: AsyncStream<Int>
    private let announce: AsyncStream<Int>.Continuation

    public init() {
        (announcements, announce) = AsyncStream<Int>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Called by the listener once it is bound.
    public func bound(to port: Int) {
        self.port.withLock { $0 = port }
        announce.yield(port)
    }

    /// The bound port, waiting until the listener is up; nil if the task is cancelled first.
    public func wait() async -> Int? {
        if let known = port.withLock({ $0 }) { return known }
        for await port in announcements { return port }
        return nil
    }
}
