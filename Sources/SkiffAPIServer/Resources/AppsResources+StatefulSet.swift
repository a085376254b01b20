import SkiffAPI

extension AppsResources {
    /// apps/v1 StatefulSet: stored, defaulted and validated; the StatefulSet controller makes
    /// its ordinal pods and their claims.
    static let statefulSet = ResourceDefinition(
        group: "apps", kind: "StatefulSet", plural: "statefulsets", shortNames: ["sts"], categories: ["all"], subresources: [.status, .scale],
        tracksGeneration: true,
        columns: [
            .text("Ready") { "\($0["status"]["readyReplicas"].int ?? 0)/\($0["spec"]["replicas"].int ?? 1)" }, .age,
            .text("Containers", priority: 1) { Columns.containers($0["spec"]["template"]) },
            .text("Images", priority: 1) { Columns.images($0["spec"]["template"]) },
        ],
        defaults: { statefulSet in
            guard statefulSet["spec"].object != nil else { return }
            if statefulSet["spec"]["replicas"].isNull { statefulSet["spec"]["replicas"] = 1 }
            if statefulSet["spec"]["podManagementPolicy"].isNull { statefulSet["spec"]["podManagementPolicy"] = "OrderedReady" }
            if statefulSet["spec"]["updateStrategy"]["type"].isNull { statefulSet["spec"]["updateStrategy"]["type"] = "RollingUpdate" }
            if statefulSet["spec"]["updateStrategy"]["type"] == "RollingUpdate",
                statefulSet["spec"]["updateStrategy"]["rollingUpdate"]["partition"].isNull
            {
                statefulSet["spec"]["updateStrategy"]["rollingUpdate"]["partition"] = 0
            }
            if statefulSet["spec"]["revisionHistoryLimit"].isNull { statefulSet["spec"]["revisionHistoryLimit"] = 10 }
            for policy in ["whenDeleted", "whenScaled"] where statefulSet["spec"]["persistentVolumeClaimRetentionPolicy"][policy].isNull {
                statefulSet["spec"]["persistentVolumeClaimRetentionPolicy"][policy] = "Retain"
            }
            if var templates = statefulSet["spec"]["volumeClaimTemplates"].array {
                for index in templates.indices {
                    if templates[index]["apiVersion"].isNull { templates[index]["apiVersion"] = "v1" }
                    if templates[index]["kind"].isNull { templates[index]["kind"] = "PersistentVolumeClaim" }
                    if templates[index]["spec"]["volumeMode"].isNull { templates[index]["spec"]["volumeMode"] = "Filesystem" }
                }
                statefulSet["spec"]["volumeClaimTemplates"] = .array(templates)
            }
            PodSpecRules.defaultTemplate(&statefulSet)
        },
        validate: { statefulSet, validator in
            PodSpecRules.validateWorkload(statefulSet, &validator)
            let spec = statefulSet["spec"]
            guard spec.object != nil else { return }
            validator.string(spec["serviceName"], "spec.serviceName")
            validator.string(spec["podManagementPolicy"], "spec.podManagementPolicy", oneOf: ["OrderedReady", "Parallel"])
            let strategy = spec["updateStrategy"]
            validator.string(strategy["type"], "spec.updateStrategy.type", oneOf: ["RollingUpdate", "OnDelete"])
            if strategy["type"] == "OnDelete", !strategy["rollingUpdate"].isNull {
                validator.fail("spec.updateStrategy.rollingUpdate", "Invalid value: only allowed for updateStrategy 'RollingUpdate'")
            }
            validator.integer(strategy["rollingUpdate"]["partition"], "spec.updateStrategy.rollingUpdate.partition", in: 0...Int64(Int32.max))
            IntOrPercent.validate(strategy["rollingUpdate"]["maxUnavailable"], "spec.updateStrategy.rollingUpdate.maxUnavailable", &validator, atMost100: true)
            if IntOrPercent.isZero(strategy["rollingUpdate"]["maxUnavailable"]) {
                validator.fail("spec.updateStrategy.rollingUpdate.maxUnavailable", "Invalid value: 0: must be greater than 0")
            }
            validator.integer(spec["revisionHistoryLimit"], "spec.revisionHistoryLimit", in: 0...Int64(Int32.max))
            validator.integer(spec["minReadySeconds"], "spec.minReadySeconds", in: 0...Int64(Int32.max))
            validator.integer(spec["ordinals"]["start"], "spec.ordinals.start", in: 0...Int64(Int32.max))
            for policy in ["whenDeleted", "whenScaled"] {
                validator.string(
                    spec["persistentVolumeClaimRetentionPolicy"][policy], "spec.persistentVolumeClaimRetentionPolicy.\(policy)", oneOf: ["Retain", "Delete"])
            }
            var names: Set<String> = []
            for (index, template) in (spec["volumeClaimTemplates"].array ?? []).enumerated() {
                let path = "spec.volumeClaimTemplates[\(index)]"
                // The claim of pod N is `<template>-<statefulset>-N`, and the pod mounts it by the template's name.
                guard let name = template["metadata"]["name"].string, !name.isEmpty else {
                    validator.fail("\(path).metadata.name", "Required value")
                    continue
                }
                if let problem = ObjectNames.subdomainProblem(name) { validator.fail("\(path).metadata.name", "Invalid value: \"\(name)\": \(problem)") }
                if !names.insert(name).inserted { validator.fail("\(path).metadata.name", "Duplicate value: \"\(name)\"") }
                StorageResources.validateClaimSpec(template["spec"], "\(path).spec", &validator)
            }
        })

    /// apps/v1 ControllerRevision: the StatefulSet and DaemonSet controllers' record of each
    /// template they rolled out.
    static let controllerRevision = ResourceDefinition(
        group: "apps", kind: "ControllerRevision", plural: "controllerrevisions",
        columns: [
            .text("Controller") { revision in
                guard let owner = (revision["metadata"]["ownerReferences"].array ?? []).first(where: { $0["controller"].bool == true }) else {
                    return "<none>"
                }
                let group = (owner["apiVersion"].string ?? "").split(separator: "/").dropLast().joined(separator: "/")
                return "\((owner["kind"].string ?? "").lowercased()).\(group)/\(owner["name"].string ?? "")"
            },
            .integer("Revision") { $0["revision"].int ?? 0 }, .age,
        ],
        topLevelFields: ["data", "revision"],
        validate: { revision, validator in
            validator.integer(revision["revision"], "revision", in: 0...Int64.max)
        })
}
