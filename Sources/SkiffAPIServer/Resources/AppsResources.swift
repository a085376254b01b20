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
            // kubectl's generators send `strategy: {}`: the type and the 25 % bounds are filled in.
            if deployment["spec"]["strategy"]["type"].isNull { deployment["spec"]["strategy"]["type"] = "RollingUpdate" }
            if deployment["spec"]["strategy"]["type"] == "RollingUpdate" {
                if deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"].isNull {
                    deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] = "25%"
                }
                if deployment["spec"]["strategy"]["rollingUpdate"]["maxSurge"].isNull { deployment["spec"]["strategy"]["rollingUpdate"]["maxSurge"] = "25%" }
            }
            if deployment["spec"]["revisionHistoryLimit"].isNull { deployment["spec"]["revisionHistoryLimit"] = 10 }
            if deployment["spec"]["progressDeadlineSeconds"].isNull { deployment["spec"]["progressDeadlineSeconds"] = 600 }
            PodSpecRules.defaultTemplate(&deployment)
        },
        validate: { deployment, validator in
            PodSpecRules.validateWorkload(deployment, &validator)
            let strategy = deployment["spec"]["strategy"]
            validator.string(strategy["type"], "spec.strategy.type", oneOf: ["Recreate", "RollingUpdate"])
            if strategy["type"] == "Recreate", !strategy["rollingUpdate"].isNull {
                validator.fail("spec.strategy.rollingUpdate", "Forbidden: may not be specified when strategy `type` is 'Recreate'")
            }
            IntOrPercent.validateRollingUpdate(strategy["rollingUpdate"], "spec.strategy.rollingUpdate", &validator)
            for field in ["revisionHistoryLimit", "minReadySeconds"] {
                validator.integer(deployment["spec"][field], "spec.\(field)", in: 0...Int64(Int32.max))
            }
            validator.integer(deployment["spec"]["progressDeadlineSeconds"], "spec.progressDeadlineSeconds", in: 1...Int64(Int32.max))
        })

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
        validate: { replicaSet, validator in
            PodSpecRules.validateWorkload(replicaSet, &validator)
            validator.integer(replicaSet["spec"]["minReadySeconds"], "spec.minReadySeconds", in: 0...Int64(Int32.max))
        })

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
            if daemonSet["spec"]["updateStrategy"]["type"].isNull { daemonSet["spec"]["updateStrategy"]["type"] = "RollingUpdate" }
            if daemonSet["spec"]["updateStrategy"]["type"] == "RollingUpdate" {
                if daemonSet["spec"]["updateStrategy"]["rollingUpdate"]["maxUnavailable"].isNull {
                    daemonSet["spec"]["updateStrategy"]["rollingUpdate"]["maxUnavailable"] = 1
                }
                if daemonSet["spec"]["updateStrategy"]["rollingUpdate"]["maxSurge"].isNull {
                    daemonSet["spec"]["updateStrategy"]["rollingUpdate"]["maxSurge"] = 0
                }
            }
            if daemonSet["spec"]["revisionHistoryLimit"].isNull { daemonSet["spec"]["revisionHistoryLimit"] = 10 }
            PodSpecRules.defaultTemplate(&daemonSet)
        },
        validate: { daemonSet, validator in
            PodSpecRules.validateWorkload(daemonSet, &validator)
            let strategy = daemonSet["spec"]["updateStrategy"]
            validator.string(strategy["type"], "spec.updateStrategy.type", oneOf: ["OnDelete", "RollingUpdate"])
            IntOrPercent.validateRollingUpdate(strategy["rollingUpdate"], "spec.updateStrategy.rollingUpdate", &validator)
        })

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
            // Neither set: one pod, once. Parallelism alone: the work-queue pattern, no completions.
            if job["spec"]["completions"].isNull && job["spec"]["parallelism"].isNull { job["spec"]["completions"] = 1 }
            if job["spec"]["parallelism"].isNull { job["spec"]["parallelism"] = 1 }
            if job["spec"]["backoffLimit"].isNull { job["spec"]["backoffLimit"] = 6 }
            if job["spec"]["template"]["spec"]["restartPolicy"].isNull { job["spec"]["template"]["spec"]["restartPolicy"] = "Never" }
            if job["spec"]["completionMode"].isNull { job["spec"]["completionMode"] = "NonIndexed" }
            if job["spec"]["suspend"].isNull { job["spec"]["suspend"] = false }
            if job["spec"]["manualSelector"].bool != true { generateJobSelector(&job) }
            PodSpecRules.defaultTemplate(&job)
        },
        validate: { job, validator in
            PodSpecRules.validateWorkload(job, &validator, restartPolicies: ["OnFailure", "Never"], selectorRequired: false)
            validateJobCounts(job["spec"], "spec", &validator)
        })

    /// As Kubernetes' Job strategy: unless `manualSelector`, the pods carry the Job's uid and name
    /// as labels and the selector is the uid's, so two Jobs never select each other's pods.
    static func generateJobSelector(_ job: inout JSON) {
        guard let uid = job["metadata"]["uid"].string, let name = job["metadata"]["name"].string, job["spec"].object != nil else { return }
        for (key, value) in [
            ("controller-uid", uid), ("batch.kubernetes.io/controller-uid", uid), ("job-name", name), ("batch.kubernetes.io/job-name", name),
        ] where job["spec"]["template"]["metadata"]["labels"][key].isNull {
            job["spec"]["template"]["metadata"]["labels"][key] = .string(value)
        }
        if job["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"].isNull {
            job["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"] = .string(uid)
        }
    }

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
