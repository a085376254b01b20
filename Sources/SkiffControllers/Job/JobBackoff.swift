import Foundation

/// The delay before a Job replaces failed pods (kube-controller-manager's pod failure back-off):
/// `base` after the first failure since the last success, doubling with each further one, at
/// most `maximum` (10 s to 6 min in Kubernetes; tests shorten the base).
public struct JobBackoff: Sendable {
    public let base: Duration
    public let maximum: Duration

    public init(base: Duration = .seconds(10), maximum: Duration = .seconds(360)) {
        self.base = base
        self.maximum = maximum
    }

    /// The delay after `failures` consecutive failures (none: no delay).
    public func delay(failures: Int) -> Duration {
        guard failures > 0 else { return .zero }
        var delay = base
        for _ in 1..<min(failures, 40) {
            delay *= 2
            if delay >= maximum { return maximum }
        }
        return min(delay, maximum)
    }

    /// How long from `now` until pods may be created again, after `failures` failures of which the
    /// last was at `lastFailure`; zero when they may be created now.
    public func remaining(failures: Int, lastFailure: Date?, now: Date) -> Duration {
        guard failures > 0, let lastFailure else { return .zero }
        let until = lastFailure.addingTimeInterval(delay(failures: failures).asTimeInterval)
        let left = until.timeIntervalSince(now)
        return left > 0 ? .milliseconds(Int64((left * 1000).rounded(.up))) : .zero
    }

    /// A Job's failures since its last success, kept in memory as Kubernetes keeps them: after a
    /// controller restart the next failure starts the back-off over.
    public struct Record: Sendable, Equatable {
        public var failuresAfterLastSuccess = 0
        public var lastFailure: Date?

        public init(failuresAfterLastSuccess: Int = 0, lastFailure: Date? = nil) {
            self.failuresAfterLastSuccess = failuresAfterLastSuccess
            self.lastFailure = lastFailure
        }

        /// The record after `succeeded` new successes and `failed` new failures seen at `now`.
        public func updated(succeeded: Int, failed: Int, now: Date) -> Record {
            if failed > 0 {
                // A success in the same batch still leaves the new failures to wait for.
                return Record(failuresAfterLastSuccess: (succeeded > 0 ? 0 : failuresAfterLastSuccess) + failed, lastFailure: now)
            }
            return succeeded > 0 ? Record() : self
        }
    }
}

extension Duration {
    /// The duration in seconds, as a TimeInterval.
    var asTimeInterval: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
