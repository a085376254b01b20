/// A batch/v1 CronJob as the cronjob controller reads it: when to run (`schedule` in
/// `timeZone`), how runs may overlap, how late one may start, and the Job to stamp out.
public struct CronJob: KubeObject, Equatable {
    /// The annotation on each Job it creates: the scheduled time the Job is for (RFC 3339).
    public static let scheduledTimestampAnnotation = "batch.kubernetes.io/cronjob-scheduled-timestamp"

    public let json: JSON
    public let metadata: ObjectMeta
    public let spec: CronJobSpec
    public let status: CronJobStatus

    public init(json: JSON) throws(JSONShapeError) {
        let root = JSONField(json)
        self.json = json
        metadata = try root.field("metadata", default: ObjectMeta.empty)
        spec = try root.required("spec")
        status = try root.field("status", default: CronJobStatus())
    }

    public var key: String { metadata.key }

    /// The CronJob with `status` in place of its own, to write back through `/status`.
    public func json(with status: CronJobStatus) -> JSON {
        var json = json
        json["status"] = status.json
        return json
    }
}

/// How a CronJob's runs may overlap.
public enum ConcurrencyPolicy: String, Sendable {
    /// Runs start on schedule whatever is still running.
    case allow = "Allow"
    /// A run is not started while an earlier one is active.
    case forbid = "Forbid"
    /// A new run replaces (deletes) the active ones.
    case replace = "Replace"
}

public struct CronJobSpec: Sendable, Equatable, JSONDecodable {
    /// Kept as text: a stored object may predate validation, and the controller reports what
    /// does not parse as an event.
    public let schedule: String
    public let timeZone: String?
    public let startingDeadlineSeconds: Int64?
    public let concurrencyPolicy: ConcurrencyPolicy
    public let suspend: Bool
    public let successfulJobsHistoryLimit: Int
    public let failedJobsHistoryLimit: Int
    /// `metadata` and `spec` of the Jobs it creates, written into them unchanged.
    public let jobTemplate: JSON

    public init(json: JSONField) throws(JSONShapeError) {
        schedule = try json.field("schedule", default: "")
        timeZone = try json.optional("timeZone")
        startingDeadlineSeconds = try json.optional("startingDeadlineSeconds")
        concurrencyPolicy = try json.choice("concurrencyPolicy", default: .allow)
        suspend = try json.field("suspend", default: false)
        successfulJobsHistoryLimit = try json.field("successfulJobsHistoryLimit", default: 3)
        failedJobsHistoryLimit = try json.field("failedJobsHistoryLimit", default: 1)
        jobTemplate = try json.field("jobTemplate", default: JSON.emptyObject)
    }
}

public struct CronJobStatus: Sendable, Equatable, JSONDecodable, JSONEncodable {
    /// References (apiVersion, kind, namespace, name, uid) to the Jobs still running.
    public var active: [JSON] = []
    public var lastScheduleTime: String?
    public var lastSuccessfulTime: String?

    public init() {}

    public init(json: JSONField) throws(JSONShapeError) {
        active = try json.field("active", default: [])
        lastScheduleTime = try json.optional("lastScheduleTime")
        lastSuccessfulTime = try json.optional("lastSuccessfulTime")
    }

    public var json: JSON {
        JSON(omittingNils: [
            ("active", active.isEmpty ? nil : .array(active)), ("lastScheduleTime", lastScheduleTime.map(JSON.string)),
            ("lastSuccessfulTime", lastSuccessfulTime.map(JSON.string)),
        ])
    }

    /// The UIDs of the active Jobs.
    public var activeUIDs: Set<String> { Set(active.compactMap { $0["uid"].string }) }
}
