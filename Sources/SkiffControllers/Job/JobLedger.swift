import SkiffAPI

/// A Job's counts during one sync: the status as stored, plus the pods that ended since, added
/// to `uncountedTerminatedPods` (and, for Indexed Jobs, to the completed or failed indexes) at
/// most once each. What is recorded here is written before any finalizer is removed.
struct JobLedger {
    let job: Job
    private(set) var status: JobStatus
    private(set) var succeededIndexes: IndexRanges
    private(set) var failedIndexes: IndexRanges
    private var uncountedSucceeded: Set<String>
    private var uncountedFailed: Set<String>

    /// What recording one ended pod did.
    enum Recorded: Equatable {
        case succeeded
        /// Counted as a failure; with the message of the pod failure policy's FailJob rule it matched.
        case failed(failJob: String?)
        /// Already recorded, ignored by the pod failure policy, a duplicate of a completed index,
        /// or without a valid index: its finalizer goes, nothing is counted.
        case notCounted
    }

    /// Whether the recorded pods decide the Job.
    enum Verdict: Equatable {
        case succeeded
        /// Every index has ended and some failed (backoffLimitPerIndex).
        case failedIndexes
    }

    init(job: Job) {
        self.job = job
        status = job.status
        let limit = job.spec.completionMode == .indexed ? job.spec.completions : nil
        succeededIndexes = IndexRanges(parsing: job.status.completedIndexes, limit: limit)
        failedIndexes = IndexRanges(parsing: job.status.failedIndexes ?? "", limit: limit)
        uncountedSucceeded = Set(job.status.uncountedSucceeded)
        uncountedFailed = Set(job.status.uncountedFailed)
    }

    var isIndexed: Bool { job.spec.completionMode == .indexed }
    var succeeded: Int { status.succeeded + status.uncountedSucceeded.count }
    var failed: Int { status.failed + status.uncountedFailed.count }

    /// Whether the Job already has a FailureTarget or SuccessCriteriaMet condition.
    var hasTarget: Bool {
        status.condition(.failureTarget)?.status == "True" || status.condition(.successCriteriaMet)?.status == "True"
    }

    /// Records an ended pod (`outcome` succeeded, failed or discarded).
    mutating func record(_ pod: Pod, outcome: JobPodOutcome) -> Recorded {
        if uncountedSucceeded.contains(pod.uid) || uncountedFailed.contains(pod.uid) { return .notCounted }
        var index: Int?
        if isIndexed {
            guard let found = pod.completionIndex, found < (job.spec.completions ?? 0) else { return .notCounted }
            index = found
        }
        switch outcome {
        case .succeeded:
            if let index {
                guard !succeededIndexes.contains(index) else { return .notCounted }
                succeededIndexes.insert(index)
                status.completedIndexes = succeededIndexes.description
            }
            uncountedSucceeded.insert(pod.uid)
            status.uncountedSucceeded = uncountedSucceeded.sorted()
            return .succeeded
        case .failed:
            let verdict = job.spec.podFailurePolicy?.match(pod)
            var failJob: String?
            switch verdict?.action {
            case .ignore?: return .notCounted
            case .failJob?: failJob = verdict?.message
            case .failIndex?:
                if let index, job.spec.backoffLimitPerIndex != nil { failedIndexes.insert(index) }
            case .count?, nil:
                // The pod's annotation counts its index's earlier failures; this one makes one more.
                if let index, let limit = job.spec.backoffLimitPerIndex, pod.indexFailureCount >= limit { failedIndexes.insert(index) }
            }
            if job.spec.backoffLimitPerIndex != nil { status.failedIndexes = failedIndexes.description }
            uncountedFailed.insert(pod.uid)
            status.uncountedFailed = uncountedFailed.sorted()
            return .failed(failJob: failJob)
        case .active, .terminating, .discarded:
            return .notCounted
        }
    }

    /// Whether the Job has met its success criteria (or, with per-index limits, ended with failed
    /// indexes), given `active` pods still running.
    func verdict(active: Int) -> Verdict? {
        if isIndexed, let completions = job.spec.completions {
            guard succeededIndexes.union(failedIndexes).count >= completions else { return nil }
            return failedIndexes.isEmpty ? .succeeded : .failedIndexes
        }
        if let completions = job.spec.completions { return succeeded >= completions ? .succeeded : nil }
        // The work-queue pattern: one success ends the work, once the others have stopped.
        return succeeded > 0 && active == 0 ? .succeeded : nil
    }
}

extension Pod {
    /// Earlier failures of an Indexed Job pod's index (`batch.kubernetes.io/job-index-failure-count`).
    var indexFailureCount: Int { annotations[Job.indexFailureCountKey].flatMap { Int($0) } ?? 0 }
}
