import SkiffAPI

/// Kubernetes' DefaultTolerationSeconds admission: a pod created without a toleration for the
/// not-ready or unreachable NoExecute taint gets one for `seconds`, so when its node stops
/// reporting it is evicted (and replaced by its controller elsewhere) after that long rather
/// than at once. kube-apiserver's `--default-not-ready-toleration-seconds` and
/// `--default-unreachable-toleration-seconds`, 300 each.
public struct DefaultTolerationSeconds: Sendable, Equatable {
    public static let defaultSeconds: Int64 = 300

    public var notReady: Int64
    public var unreachable: Int64

    public init(notReady: Int64 = DefaultTolerationSeconds.defaultSeconds, unreachable: Int64 = DefaultTolerationSeconds.defaultSeconds) {
        self.notReady = notReady
        self.unreachable = unreachable
    }

    /// Adds the missing tolerations to a Pod being created. A toleration that already matches the
    /// taint's key (or every key) with NoExecute (or every effect) is left as the user wrote it.
    public func admit(_ pod: inout JSON) {
        var tolerations = pod["spec"]["tolerations"].array ?? []
        let existing = tolerations.map(Toleration.init)
        for (key, seconds) in [(Taint.notReadyKey, notReady), (Taint.unreachableKey, unreachable)] {
            let covered = existing.contains { ($0.key == key || $0.key.isEmpty) && ($0.effect == "NoExecute" || $0.effect.isEmpty) }
            guard !covered else { continue }
            tolerations.append(Toleration(key: key, op: "Exists", effect: "NoExecute", tolerationSeconds: seconds).json)
        }
        pod["spec"]["tolerations"] = .array(tolerations)
    }
}
