import SkiffAPI
import Synchronization

/// kube-apiserver's `--max-requests-inflight`: at most `maxInFlight` requests from agents are
/// served at once; past that a request is answered 429 with Retry-After at once, so a herd of
/// agents reconnecting after an outage is shed and spread out instead of queueing until the
/// server falls over. The admin (system:masters, the controllers in process) is never limited,
/// as Kubernetes exempts that group. A watch counts only until its stream starts.
public final class RequestLimit: Sendable {
    /// kube-apiserver's default for non-mutating requests.
    public static let defaultMaxInFlight = 400
    /// Retry-After, in seconds, on a shed request.
    public static let retryAfterSeconds = 1

    /// 0: no limit.
    public let maxInFlight: Int
    private let inFlight = Atomic<Int>(0)

    public init(maxInFlight: Int = RequestLimit.defaultMaxInFlight) { self.maxInFlight = max(0, maxInFlight) }

    /// Takes a slot; false when all are taken (the caller answers 429 and must not `leave`).
    public func enter() -> Bool {
        let now = inFlight.add(1, ordering: .relaxed).newValue
        guard maxInFlight > 0, now > maxInFlight else { return true }
        inFlight.subtract(1, ordering: .relaxed)
        return false
    }

    public func leave() { inFlight.subtract(1, ordering: .relaxed) }

    /// Requests being served now.
    public var current: Int { inFlight.load(ordering: .relaxed) }

    static let overloaded = APIResponse(
        status: 429, headers: [("Retry-After", String(retryAfterSeconds))],
        body: .bytes(
            APIError(
                code: 429, reason: "TooManyRequests", message: "Too many requests, please try again later.",
                details: ["retryAfterSeconds": .int(Int64(retryAfterSeconds))]
            ).status.bytes))
}
