import SkiffAPI

extension AppsResources {
    /// batch/v1 CronJob: stored, defaulted and validated here (the schedule with `CronSchedule`,
    /// the zone against the system's tzdata); the CronJob controller creates its Jobs.
    static let cronJob = ResourceDefinition(
        group: "batch", kind: "CronJob", plural: "cronjobs", shortNames: ["cj"], categories: ["all"], subresources: [.status],
        tracksGeneration: true,
        columns: [
            .text("Schedule") { $0["spec"]["schedule"].string ?? "" },
            .text("Timezone") { Columns.none($0["spec"]["timeZone"].string ?? "") },
            .text("Suspend") { $0["spec"]["suspend"].bool == true ? "True" : "False" },
            .integer("Active") { Int64($0["status"]["active"].array?.count ?? 0) },
            .text("Last Schedule") { cronJob in
                guard let time = cronJob["status"]["lastScheduleTime"].string else { return "<none>" }
                return Timestamp.age(since: time)
            },
            .age,
            .text("Containers", priority: 1) { Columns.containers($0["spec"]["jobTemplate"]["spec"]["template"]) },
            .text("Images", priority: 1) { Columns.images($0["spec"]["jobTemplate"]["spec"]["template"]) },
            .text("Selector", priority: 1) { Columns.selector($0["spec"]["jobTemplate"]["spec"]["selector"]) },
        ],
        defaults: { cronJob in
            guard cronJob["spec"].object != nil else { return }
            if cronJob["spec"]["concurrencyPolicy"].isNull { cronJob["spec"]["concurrencyPolicy"] = "Allow" }
            if cronJob["spec"]["suspend"].isNull { cronJob["spec"]["suspend"] = false }
            if cronJob["spec"]["successfulJobsHistoryLimit"].isNull { cronJob["spec"]["successfulJobsHistoryLimit"] = 3 }
            if cronJob["spec"]["failedJobsHistoryLimit"].isNull { cronJob["spec"]["failedJobsHistoryLimit"] = 1 }
            var jobSpec = cronJob["spec"]["jobTemplate"]["spec"]
            if jobSpec.object != nil {
                PodSpecRules.defaultTemplate(inSpec: &jobSpec)
                cronJob["spec"]["jobTemplate"]["spec"] = jobSpec
            }
        },
        validate: { cronJob, validator in
            let spec = cronJob["spec"]
            guard spec.object != nil else { return validator.fail("spec", "Required value") }
            // Job names are the CronJob's plus an 11-character suffix, and must stay labels.
            let name = cronJob["metadata"]["name"].string ?? ""
            if name.count > 52 { validator.fail("metadata.name", "Invalid value: \"\(name)\": must be no more than 52 characters") }
            validateSchedule(spec["schedule"], &validator)
            validateTimeZone(spec["timeZone"], &validator)
            validator.string(spec["concurrencyPolicy"], "spec.concurrencyPolicy", required: true, oneOf: ["Allow", "Forbid", "Replace"])
            validator.integer(spec["startingDeadlineSeconds"], "spec.startingDeadlineSeconds", in: 0...Int64.max)
            validator.integer(spec["successfulJobsHistoryLimit"], "spec.successfulJobsHistoryLimit", in: 0...Int64(Int32.max))
            validator.integer(spec["failedJobsHistoryLimit"], "spec.failedJobsHistoryLimit", in: 0...Int64(Int32.max))
            validator.stringMap(spec["jobTemplate"]["metadata"]["labels"], "spec.jobTemplate.metadata.labels", labels: true)
            let jobSpec = spec["jobTemplate"]["spec"]
            PodSpecRules.validateWorkloadSpec(
                jobSpec, "spec.jobTemplate.spec", &validator, restartPolicies: ["OnFailure", "Never"], selectorRequired: false)
            validateJobCounts(jobSpec, "spec.jobTemplate.spec", &validator)
        })

    static func validateSchedule(_ schedule: JSON, _ validator: inout Validator) {
        guard let text = schedule.string, !text.isEmpty else { return validator.fail("spec.schedule", "Required value") }
        do {
            _ = try CronSchedule(parsing: text)
        } catch {
            validator.fail("spec.schedule", "Invalid value: \"\(text)\": \(error.message)")
        }
    }

    static func validateTimeZone(_ zone: JSON, _ validator: inout Validator) {
        guard !zone.isNull else { return }
        guard let name = zone.string, !name.isEmpty else {
            return validator.fail("spec.timeZone", "Invalid value: \"\": timeZone must be nil or non-empty string")
        }
        if name.lowercased() == "local" {
            return validator.fail(
                "spec.timeZone", "Invalid value: \"\(name)\": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones")
        }
        do {
            _ = try ZoneRules.load(named: name)
        } catch {
            validator.fail("spec.timeZone", "Invalid value: \"\(name)\": \(error.message)")
        }
    }
}
