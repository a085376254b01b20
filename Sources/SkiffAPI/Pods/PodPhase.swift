/// Where a pod is in its life, as `status.phase` says.
public enum PodPhase: String, Sendable, Equatable {
    case pending = "Pending"
    case running = "Running"
    case succeeded = "Succeeded"
    case failed = "Failed"
    case unknown = "Unknown"

    /// Succeeded or Failed: no container will run again.
    public var isFinal: Bool { self == .succeeded || self == .failed }
}
