/// A pod's toleration (`spec.tolerations[]`): which taints it lets the pod past.
public struct Toleration: Sendable, Equatable {
    public let key: String
    /// "Equal" (the default) or "Exists".
    public let op: String
    public let value: String
    /// Empty: every effect.
    public let effect: String
    public let tolerationSeconds: Int64?

    public init(key: String, op: String = "Equal", value: String = "", effect: String, tolerationSeconds: Int64? = nil) {
        self.key = key
        self.op = op
        self.value = value
        self.effect = effect
        self.tolerationSeconds = tolerationSeconds
    }

    public init(_ toleration: JSON) {
        key = toleration["key"].string ?? ""
        op = toleration["operator"].string ?? "Equal"
        value = toleration["value"].string ?? ""
        effect = toleration["effect"].string ?? ""
        tolerationSeconds = toleration["tolerationSeconds"].int
    }

    public func tolerates(_ taint: Taint) -> Bool {
        if !effect.isEmpty && effect != taint.effect { return false }
        if op == "Exists" { return key.isEmpty || key == taint.key }
        return key == taint.key && value == taint.value
    }

    public var json: JSON {
        var json: JSON = ["key": .string(key), "operator": .string(op), "effect": .string(effect)]
        if op != "Exists" { json["value"] = .string(value) }
        if let tolerationSeconds { json["tolerationSeconds"] = .int(tolerationSeconds) }
        return json
    }
}
