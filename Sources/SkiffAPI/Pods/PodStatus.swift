/// The parts of a pod's status a node builds on: the phase, the addresses, and the conditions
/// others set (PodScheduled), which a status patch must carry along.
public struct PodStatus: Sendable, Equatable, JSONDecodable {
    public let phase: PodPhase?
    public let podIP: String?
    public let hostIP: String?
    public let startTime: String?
    public let qosClass: String?
    public let conditions: [PodCondition]

    static let empty = PodStatus(phase: nil, podIP: nil, hostIP: nil, startTime: nil, qosClass: nil, conditions: [])

    public init(phase: PodPhase?, podIP: String?, hostIP: String?, startTime: String?, qosClass: String?, conditions: [PodCondition]) {
        self.phase = phase
        self.podIP = podIP
        self.hostIP = hostIP
        self.startTime = startTime
        self.qosClass = qosClass
        self.conditions = conditions
    }

    public init(json: JSONField) throws(JSONShapeError) {
        phase = try json.optionalChoice("phase", as: PodPhase.self)
        podIP = try json.optional("podIP")
        hostIP = try json.optional("hostIP")
        startTime = try json.optional("startTime")
        qosClass = try json.optional("qosClass")
        conditions = try json.field("conditions", default: [])
    }

    public func condition(_ type: String) -> PodCondition? { conditions.first { $0.type == type } }

    /// Whether the condition of `type` is "True", read without copying the condition (the
    /// workload controllers ask it of every pod of a set on each sync).
    public func conditionIsTrue(_ type: String) -> Bool {
        guard let index = conditions.firstIndex(where: { $0.type == type }) else { return false }
        return conditions[index].status == "True"
    }
}
