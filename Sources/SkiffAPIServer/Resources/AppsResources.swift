import SkiffAPI

/// apps/v1 and batch/v1 workload kinds. Their controllers arrive later; here they are stored,
/// defaulted, validated and listed.
enum AppsResources {
    static let deployment = ResourceDefinition(
        group: "apps", kind: "Deployment", plural: "deployments", shortNames: ["deploy"], categories: ["all"],
        subresources: [.status, .scale], tracksGeneration: true,
        columns: [
            .text("Ready") { "\($0["status"]["readyReplicas"].int ?? 0)/\($0["spec"]["replicas"].int ?? 1)" },
            .integer("Up-to-date") { $0["status"]["updatedReplicas"].int ?? 0 },
            .integer("Available") { $0["status"]["availableReplicas"].int ?? 0 }, .age,
            .text("Containers", priority: 1) { Columns.containers($0["spec"]["template"]) },
            .text("Images", priority: 1) { Columns.images($0["spec"]["template"]) },
            .text("Selector", priority: 1) { Columns.selector($0["spec"]["selector"]) },
        ],
        defaults: { deployment in
            if deployment["spec"]["replicas"].isNull { deployment["spec"]["replicas"] = 1 }
            if deployment["spec"]["strategy"].isNull {
                deployment["spec"]["strategy"] = ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": "25%", "maxSurge": "25%"]]
            }
            if deployment["spec"]["revisionHistoryLimit"].isNull { deployment["spec"]["revisionHistoryLimit"] = 10 }
            if deployment["spec"]["progressDeadlineSeconds"].isNull { deployment["spec"]["progressDeadlineSeconds"] = 600 }
            PodSpecRules.defaultTemplate(&deployment)
        },
        validate: { deployment, validator in PodSpecRules.validateWorkload(deployment, &validator) })

    static let replicaSet = ResourceDefinition(
        group: "apps", kind: "ReplicaSet", plural: "replicasets", shortNames: ["rs"], categories: ["all"],
        subresources: [.status, .scale], tracksGeneration: true,
        columns: [
            .integer("Desired") { $0["spec"]["replicas"].int ?? 1 }, .integer("Current") { $0["status"]["replicas"].int ?? 0 },
            .integer("Ready") { $0["status"]["readyReplicas"].int ?? 0 }, .age,
            .text("Containers", priority: 1) { Columns.containers($0["spec"]["template"]) },
            .text("Images", priority: 1) { Columns.images($0["spec"]["template"]) },
            .text("Selector", priority: 1) { Columns.selector($0["spec"]["selector"]) },
        ],
        defaults: { replicaSet in
            if replicaSet["spec"]["replicas"].isNull { replicaSet["spec"]["replicas"] = 1 }
            PodSpecRules.defaultTemplate(&replicaSet)
        },
        validate: { replicaSet, validator in PodSpecRules.validateWorkload(replicaSet, &validator) })

    static let daemonSet = ResourceDefinition(
        group: "apps", kind: "DaemonSet", plural: "daemonsets", shortNames: ["ds"], categories: ["all"],
        subresources: [.status], tracksGeneration: true,
        columns: [
            .integer("Desired") { $0["status"]["desiredNumberScheduled"].int ?? 0 },
            .integer("Current") { $0["status"]["currentNumberScheduled"].int ?? 0 },
            .integer("Ready") { $0["status"]["numberReady"].int ?? 0 },
            .integer("Up-to-date") { $0["status"]["updatedNumberScheduled"].int ?? 0 },
            .integer("Available") { $0["status"]["numberAvailable"].int ?? 0 },
            .text("Node Selector") { Columns.selector($0["spec"]["template"]["spec"]["nodeSelector"]) }, .age,
            .text("Containers", priority: 1) { Columns.containers($0["spec"]["template"]) },
            .text("Images", priority: 1) { Columns.images($0["spec"]["template"]) },
            .text("Selector", priority: 1) { Columns.selector($0["spec"]["selector"]) },
        ],
        defaults: { daemonSet in
            if daemonSet["spec"]["updateStrategy"].isNull {
                daemonSet["spec"]["updateStrategy"] = ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": 1, "maxSurge": 0]]
            }
            PodSpecRules.defaultTemplate(&daemonSet)
        },
        validate: { daemonSet, validator in PodSpecRules.validateWorkload(daemonSet, &validator) })

    static let job = ResourceDefinition(
        group: "batch", kind: "Job", plural: "jobs", categories: ["all"], subresources: [.status], tracksGeneration: true,
        columns: [
            .text("Status") { job in
                let conditions = job["status"]["conditions"].array ?? []
                if conditions.contains(where: { $0["type"].string == "Complete" && $0["status"].string == "True" }) { return "Complete" }
                if conditions.contains(where: { $0["type"].string == "Failed" && $0["status"].string == "True" }) { return "Failed" }
                return "Running"
            },
            .text("Completions") { "\($0["status"]["succeeded"].int ?? 0)/\($0["spec"]["completions"].int ?? 1)" },
            .text("Duration") { job in
                guard let start = job["status"]["startTime"].string else { return "" }
                return Timestamp.age(since: start)
            }, .age,
            .text("Containers", priority: 1) { Columns.containers($0["spec"]["template"]) },
            .text("Images", priority: 1) { Columns.images($0["spec"]["template"]) },
            .text("Selector", priority: 1) { Columns.selector($0["spec"]["selector"]) },
        ],
        defaults: { job in
            if job["spec"]["completions"].isNull { job["spec"]["completions"] = 1 }
            if job["spec"]["parallelism"].isNull { job["spec"]["parallelism"] = 1 }
            if job["spec"]["backoffLimit"].isNull { job["spec"]["backoffLimit"] = 6 }
            if job["spec"]["template"]["spec"]["restartPolicy"].isNull { job["spec"]["template"]["spec"]["restartPolicy"] = "Never" }
            PodSpecRules.defaultTemplate(&job)
        },
        validate: { job, validator in
            PodSpecRules.validateWorkload(job, &validator, restartPolicies: ["OnFailure", "Never"], selectorRequired: false)
            validateJobCounts(job["spec"], "spec", &validator)
        })

    /// Job counts (also a CronJob's job template): none negative, a deadline positive.
    static func validateJobCounts(_ spec: JSON, _ path: String, _ validator: inout Validator) {
        for field in ["completions", "parallelism", "backoffLimit", "ttlSecondsAfterFinished", "backoffLimitPerIndex", "maxFailedIndexes"] {
            validator.integer(spec[field], "\(path).\(field)", in: 0...Int64(Int32.max))
        }
        validator.integer(spec["activeDeadlineSeconds"], "\(path).activeDeadlineSeconds", in: 1...Int64.max)
        validator.string(spec["completionMode"], "\(path).completionMode", oneOf: ["NonIndexed", "Indexed"])
        if spec["completionMode"].string == "Indexed", spec["completions"].isNull {
            validator.fail("\(path).completions", "Required value: when completion mode is Indexed")
        }
    }
}
