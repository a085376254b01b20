/// A pod's quality-of-service class: where its cgroup sits and how the OOM killer ranks it.
public enum QoSClass: String, Sendable, Equatable {
    case guaranteed = "Guaranteed"
    case burstable = "Burstable"
    case bestEffort = "BestEffort"
}
