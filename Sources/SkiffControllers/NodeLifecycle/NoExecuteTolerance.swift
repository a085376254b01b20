import Foundation
import SkiffAPI

/// What a node's NoExecute taints mean for one pod (Kubernetes' taint manager): a taint no
/// toleration matches evicts it at once; otherwise each taint's first matching toleration lets
/// it stay for its `tolerationSeconds` (none: for good), counted from when the taint was added,
/// and the earliest of those ends its stay.
enum NoExecuteTolerance: Equatable {
    case stay
    case evictNow
    case evict(at: Date)

    static func judge(tolerations: [Toleration], taints: [Taint], taintedSince: (Taint) -> Date) -> NoExecuteTolerance {
        let noExecute = taints.filter { $0.effect == "NoExecute" }
        guard !noExecute.isEmpty else { return .stay }
        var deadline: Date?
        for taint in noExecute {
            guard let toleration = tolerations.first(where: { $0.tolerates(taint) }) else { return .evictNow }
            guard let seconds = toleration.tolerationSeconds else { continue }
            let until = taintedSince(taint).addingTimeInterval(TimeInterval(max(0, seconds)))
            deadline = min(deadline ?? until, until)
        }
        return deadline.map { .evict(at: $0) } ?? .stay
    }
}
