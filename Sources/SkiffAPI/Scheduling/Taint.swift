/// A taint on a node (`spec.taints[]`): pods without a matching toleration are kept off it
/// (NoSchedule, PreferNoSchedule) or evicted from it (NoExecute).
public struct Taint: Sendable, Equatable {
    public let key: String
    public let value: String
    public let effect: String

    public init(key: String, value: String = "", effect: String) {
        self.key = key
        self.value = value
        self.effect = effect
    }

    public init(_ taint: JSON) {
        self.init(key: taint["key"].string ?? "", value: taint["value"].string ?? "", effect: taint["effect"].string ?? "")
    }

    /// Whether it keeps pods that do not tolerate it off the node (PreferNoSchedule only scores).
    public var repelsScheduling: Bool { effect == "NoSchedule" || effect == "NoExecute" }
}
