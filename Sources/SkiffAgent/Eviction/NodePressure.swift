import FoundationEssentials
import SkiffAPI

/// The node's MemoryPressure, DiskPressure and PIDPressure conditions as the eviction loop last
/// decided them. A condition turns True as soon as one of its signals crosses a threshold and
/// back to False only once none has for the transition period, as the kubelet's do; each keeps
/// the time it last changed.
struct NodePressure: Sendable, Equatable {
    struct Condition: Sendable, Equatable {
        var type: NodePressureType
        var underPressure: Bool
        /// When `underPressure` last changed (the agent's start for the first value).
        var lastTransition: Date
    }

    let transitionPeriodSeconds: Double
    private(set) var conditions: [NodePressureType: Condition]
    /// When each condition's signals were last seen crossed.
    private var lastCrossed: [NodePressureType: Date] = [:]

    init(transitionPeriodSeconds: Double, now: Date) {
        self.transitionPeriodSeconds = transitionPeriodSeconds
        conditions = Dictionary(
            uniqueKeysWithValues: NodePressureType.allCases.map { ($0, Condition(type: $0, underPressure: false, lastTransition: now)) })
    }

    /// Takes the signals crossed in one observation; returns whether any condition changed.
    mutating func observe(crossed: Set<EvictionSignal>, now: Date) -> Bool {
        for signal in crossed { lastCrossed[signal.condition] = now }
        var changed = false
        for type in NodePressureType.allCases {
            let pressure = lastCrossed[type].map { now.timeIntervalSince($0) < max(transitionPeriodSeconds, 0.000_001) } ?? false
            guard var condition = conditions[type], condition.underPressure != pressure else { continue }
            condition.underPressure = pressure
            condition.lastTransition = now
            conditions[type] = condition
            changed = true
        }
        return changed
    }

    func isUnderPressure(_ type: NodePressureType) -> Bool { conditions[type]?.underPressure ?? false }

    /// The conditions that are True.
    var active: Set<NodePressureType> { Set(NodePressureType.allCases.filter(isUnderPressure)) }

    /// The three conditions as `status.conditions` entries, heartbeat stamped `now`.
    func json(now: String) -> [JSON] {
        NodePressureType.allCases.compactMap { type in
            guard let condition = conditions[type] else { return nil }
            return .object([
                "type": .string(type.rawValue), "status": condition.underPressure ? "True" : "False",
                "reason": .string(type.reason(underPressure: condition.underPressure)),
                "message": .string(type.message(underPressure: condition.underPressure)),
                "lastHeartbeatTime": .string(now), "lastTransitionTime": .string(Timestamp.string(condition.lastTransition)),
            ])
        }
    }
}
