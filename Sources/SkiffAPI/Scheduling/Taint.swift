/// A taint on a node (`spec.taints[]`): pods without a matching toleration are kept off it
/// (NoSchedule, PreferNoSchedule) or evicted from it (NoExecute).
public struct Taint: Sendable, Equatable {
    public let key: String
    public let value: String
    public let effect: String
    /// When a NoExecute taint was added (RFC 3339): a toleration's seconds count from it.
    public let timeAdded: String?

    /// The node lifecycle controller's taint on a Node whose Ready condition is False.
    public static let notReadyKey = "node.kubernetes.io/not-ready"
    /// The node lifecycle controller's taint on a Node whose Ready condition is Unknown (its
    /// agent stopped reporting).
    public static let unreachableKey = "node.kubernetes.io/unreachable"
    /// NoSchedule while the Node's MemoryPressure, DiskPressure or PIDPressure condition is True
    /// (the node lifecycle controller's TaintNodesByCondition).
    public static let memoryPressureKey = "node.kubernetes.io/memory-pressure"
    public static let diskPressureKey = "node.kubernetes.io/disk-pressure"
    public static let pidPressureKey = "node.kubernetes.io/pid-pressure"

    public init(key: String, value: String = "", effect: String, timeAdded: String? = nil) {
        self.key = key
        self.value = value
        self.effect = effect
        self.timeAdded = timeAdded
    }

    public init(_ taint: JSON) {
        self.init(
            key: taint["key"].string ?? "", value: taint["value"].string ?? "", effect: taint["effect"].string ?? "",
            timeAdded: taint["timeAdded"].string)
    }

    public var json: JSON {
        JSON(omittingNils: [
            ("key", .string(key)), ("value", value.isEmpty ? nil : .string(value)), ("effect", .string(effect)),
            ("timeAdded", timeAdded.map(JSON.string)),
        ])
    }

    /// The same key and effect (what makes two taints one on a Node).
    public func sameSlot(as other: Taint) -> Bool { key == other.key && effect == other.effect }

    /// Whether it keeps pods that do not tolerate it off the node (PreferNoSchedule only scores).
    public var repelsScheduling: Bool { effect == "NoSchedule" || effect == "NoExecute" }
}
