import SkiffAPI

/// Where one of a Job's pods stands, as the job controller counts it.
enum JobPodOutcome: Equatable {
    /// Running or about to: counts towards `active`.
    case active
    /// Being deleted, its end not yet known (a pod failure policy waits to read how it fails).
    case terminating
    case succeeded
    case failed
    /// Deleted by the controller itself, because the Job was suspended or had already met its
    /// success criteria: not a failure of the work.
    case discarded

    init(_ pod: Pod, in job: Job) {
        switch pod.status.phase {
        case .succeeded?:
            self = .succeeded
            return
        case .failed?:
            self = .failed
            return
        default: break
        }
        guard pod.isBeingDeleted else {
            self = .active
            return
        }
        if job.spec.suspend || job.status.condition(.successCriteriaMet)?.status == "True" {
            self = .discarded
        } else if job.spec.podFailurePolicy != nil && pod.deletionGracePeriodSeconds != 0 {
            // The policy judges the pod by how it fails; its agent reports that (or stops it
            // without a phase, grace period 0, which counts as a failure no rule names).
            self = .terminating
        } else {
            // Kubernetes counts a deleted pod as failed: an orphan never reaches the Failed phase.
            self = .failed
        }
    }

    /// Whether the pod is done and its finalizer may go once its end is recorded.
    var isFinished: Bool { self == .succeeded || self == .failed || self == .discarded }
}
