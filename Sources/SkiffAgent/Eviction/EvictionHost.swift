/// One reading for the eviction loop: the node's signals and the pods that could be evicted.
struct EvictionMeasurement: Sendable, Equatable {
    var signals: [EvictionSignal: SignalObservation]
    /// The pods still running on the node.
    var pods: [EvictionCandidate]
}

/// What the eviction loop measures and acts on: the agent's node (`AgentEvictionHost`), or a
/// fake in tests.
protocol EvictionHost: Sendable {
    func measure() async -> EvictionMeasurement
    /// Stops the pod and reports it Failed with reason Evicted and `message`; false when the
    /// pod was no longer running here.
    func evict(podUID: String, message: String) async -> Bool
    /// Hands the node's pressure conditions to whoever writes the node status.
    func publish(_ pressure: NodePressure) async
}
