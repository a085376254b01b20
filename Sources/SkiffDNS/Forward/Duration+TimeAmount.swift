import NIOCore

extension Duration {
    /// The same span as NIO's `TimeAmount`, for timers scheduled on an event loop.
    var timeAmount: TimeAmount {
        .nanoseconds(components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000)
    }
}
