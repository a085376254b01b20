/// A startup, liveness or readiness probe with Kubernetes' defaults: every 10 s, a 1 s timeout,
/// one success to pass, three failures to fail, no initial delay.
public struct Probe: Sendable, Equatable, JSONDecodable {
    /// What to run; nil when the probe names none (it then always fails, saying so).
    public let handler: LifecycleHandler?
    public let initialDelaySeconds: Int
    public let periodSeconds: Int
    public let timeoutSeconds: Int
    public let successThreshold: Int
    public let failureThreshold: Int
    /// Overrides the pod's grace period when this probe's failure kills the container.
    public let terminationGracePeriodSeconds: Int64?

    public init(json: JSONField) throws(JSONShapeError) {
        handler = try LifecycleHandler.decodeIfPresent(json)
        // Zero is the API's "unset" (Go's zero value), so it gets the default too.
        func positive(_ key: String, default fallback: Int) throws(JSONShapeError) -> Int {
            let value = try json.field(key, default: 0)
            return value > 0 ? value : fallback
        }
        let delay = try json.field("initialDelaySeconds", default: 0)
        initialDelaySeconds = max(0, delay)
        periodSeconds = try positive("periodSeconds", default: 10)
        timeoutSeconds = try positive("timeoutSeconds", default: 1)
        successThreshold = try positive("successThreshold", default: 1)
        failureThreshold = try positive("failureThreshold", default: 3)
        terminationGracePeriodSeconds = try json.optional("terminationGracePeriodSeconds")
    }
}
