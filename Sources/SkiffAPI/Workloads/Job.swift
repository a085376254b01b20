/// A batch/v1 Job as the job controller reads it: the spec it acts on, typed, and the status it
/// owns, which it rewrites as a whole through `/status`.
public struct Job: KubeObject, Equatable {
    /// Every pod of a Job carries this finalizer until the controller has recorded the pod's end
    /// in the Job's status, so a pod that finishes and is deleted while the controller is down is
    /// still counted (Kubernetes' `batch.kubernetes.io/job-tracking`).
    public static let trackingFinalizer = "batch.kubernetes.io/job-tracking"
    /// The annotation and label with an Indexed Job pod's completion index.
    public static let completionIndexKey = "batch.kubernetes.io/job-completion-index"
    /// The annotation counting the earlier failures of a pod's index (backoffLimitPerIndex).
    public static let indexFailureCountKey = "batch.kubernetes.io/job-index-failure-count"
    /// The labels the generated selector matches: the Job's UID, under the old and new names.
    public static let controllerUIDLabels = ["batch.kubernetes.io/controller-uid", "controller-uid"]
    /// The labels naming the Job on its pods, old and new names.
    public static let jobNameLabels = ["batch.kubernetes.io/job-name", "job-name"]

    /// The object as received.
    public let json: JSON
    public let metadata: ObjectMeta
    public let spec: JobSpec
    public let status: JobStatus

    public init(json: JSON) throws(JSONShapeError) {
        let root = JSONField(json)
        self.json = json
        metadata = try root.field("metadata", default: ObjectMeta.empty)
        spec = try root.required("spec")
        status = try root.field("status", default: JobStatus())
    }

    public var key: String { metadata.key }

    /// The condition of `type` that is "True", if any.
    public func condition(_ type: JobConditionType) -> PodCondition? {
        status.conditions.first { $0.type == type.rawValue && $0.status == "True" }
    }

    /// Whether the Job has ended: Complete or Failed.
    public var isFinished: Bool { condition(.complete) != nil || condition(.failed) != nil }

    /// The Job with `status` in place of its own, to write back through `/status`.
    public func json(with status: JobStatus) -> JSON {
        var json = json
        json["status"] = status.json
        return json
    }
}

/// The condition types a Job's status carries.
public enum JobConditionType: String, Sendable {
    case complete = "Complete"
    case failed = "Failed"
    case suspended = "Suspended"
    /// The Job has met its success criteria; Complete follows once its pods have terminated.
    case successCriteriaMet = "SuccessCriteriaMet"
    /// The Job will fail; Failed follows once its pods have terminated.
    case failureTarget = "FailureTarget"
}

/// How a Job's pods count towards completion.
public enum CompletionMode: String, Sendable {
    /// Any `completions` successful pods complete the Job.
    case nonIndexed = "NonIndexed"
    /// One successful pod per index 0..<completions.
    case indexed = "Indexed"
}

public struct JobSpec: Sendable, Equatable, JSONDecodable {
    /// nil: the work-queue pattern, done when any pod succeeds and the rest have ended.
    public let completions: Int?
    public let parallelism: Int
    public let completionMode: CompletionMode
    public let backoffLimit: Int
    /// Indexed Jobs: failures allowed per index before the index fails.
    public let backoffLimitPerIndex: Int?
    /// With backoffLimitPerIndex: failed indexes allowed before the whole Job fails.
    public let maxFailedIndexes: Int?
    public let activeDeadlineSeconds: Int64?
    public let ttlSecondsAfterFinished: Int64?
    public let suspend: Bool
    public let podFailurePolicy: PodFailurePolicy?
    public let selector: JSON
    public let template: PodTemplate

    public init(json: JSONField) throws(JSONShapeError) {
        completions = try json.optional("completions")
        parallelism = try json.field("parallelism", default: 1)
        completionMode = try json.choice("completionMode", default: .nonIndexed)
        backoffLimit = try json.field("backoffLimit", default: 6)
        backoffLimitPerIndex = try json.optional("backoffLimitPerIndex")
        maxFailedIndexes = try json.optional("maxFailedIndexes")
        activeDeadlineSeconds = try json.optional("activeDeadlineSeconds")
        ttlSecondsAfterFinished = try json.optional("ttlSecondsAfterFinished")
        suspend = try json.field("suspend", default: false)
        podFailurePolicy = try json.optional("podFailurePolicy")
        selector = try json.field("selector", default: JSON.emptyObject)
        template = try json.required("template")
    }
}

/// What the job controller reports. Counts of finished pods move from `uncountedTerminatedPods`
/// into `succeeded` and `failed` only after the pods' tracking finalizers are gone, so every
/// ended pod is counted exactly once across controller restarts.
public struct JobStatus: Sendable, Equatable, JSONDecodable, JSONEncodable {
    public var conditions: [PodCondition] = []
    public var startTime: String?
    public var completionTime: String?
    public var active = 0
    public var ready = 0
    public var terminating = 0
    public var succeeded = 0
    public var failed = 0
    /// Indexed Jobs: the succeeded indexes as ranges, "0-2,5".
    public var completedIndexes = ""
    /// Indexed Jobs with backoffLimitPerIndex: the failed indexes as ranges.
    public var failedIndexes: String?
    public var uncountedSucceeded: [String] = []
    public var uncountedFailed: [String] = []

    public init() {}

    public init(json: JSONField) throws(JSONShapeError) {
        conditions = try json.field("conditions", default: [])
        startTime = try json.optional("startTime")
        completionTime = try json.optional("completionTime")
        active = try json.field("active", default: 0)
        ready = try json.field("ready", default: 0)
        terminating = try json.field("terminating", default: 0)
        succeeded = try json.field("succeeded", default: 0)
        failed = try json.field("failed", default: 0)
        completedIndexes = try json.field("completedIndexes", default: "")
        failedIndexes = try json.optional("failedIndexes")
        let uncounted = JSONField(try json.field("uncountedTerminatedPods", default: JSON.emptyObject), path: "\(json.path).uncountedTerminatedPods")
        uncountedSucceeded = try uncounted.field("succeeded", default: [])
        uncountedFailed = try uncounted.field("failed", default: [])
    }

    public var json: JSON {
        var uncounted = JSON.emptyObject
        if !uncountedSucceeded.isEmpty { uncounted["succeeded"] = uncountedSucceeded.json }
        if !uncountedFailed.isEmpty { uncounted["failed"] = uncountedFailed.json }
        return JSON(omittingNils: [
            ("conditions", conditions.isEmpty ? nil : .array(conditions.map(\.json))), ("startTime", startTime.map(JSON.string)),
            ("completionTime", completionTime.map(JSON.string)), ("active", active == 0 ? nil : .int(Int64(active))),
            ("ready", .int(Int64(ready))), ("terminating", .int(Int64(terminating))),
            ("succeeded", succeeded == 0 ? nil : .int(Int64(succeeded))), ("failed", failed == 0 ? nil : .int(Int64(failed))),
            ("completedIndexes", completedIndexes.isEmpty ? nil : .string(completedIndexes)), ("failedIndexes", failedIndexes.map(JSON.string)),
            ("uncountedTerminatedPods", uncounted),
        ])
    }

    /// The condition of `type`, whatever its status.
    public func condition(_ type: JobConditionType) -> PodCondition? { conditions.first { $0.type == type.rawValue } }

    /// Sets the condition of `type`, stamping the transition time when its status changes.
    public mutating func setCondition(_ type: JobConditionType, status: String, reason: String, message: String, now: String) {
        let condition = PodCondition(type: type.rawValue, status: status, reason: reason, message: message, lastTransitionTime: now, lastProbeTime: now)
        if let index = conditions.firstIndex(where: { $0.type == type.rawValue }) {
            guard conditions[index].status != status || conditions[index].reason != reason else { return }
            conditions[index] = condition
        } else {
            conditions.append(condition)
        }
    }
}
