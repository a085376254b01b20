import SkiffAPI

/// policy/v1 PodDisruptionBudget; `pods/eviction` (KubeAPI+Eviction.swift) enforces it, and the
/// disruption controller keeps its status.
enum PolicyResources {
    static let podDisruptionBudget = ResourceDefinition(
        group: "policy", kind: "PodDisruptionBudget", plural: "poddisruptionbudgets", shortNames: ["pdb"], subresources: [.status],
        tracksGeneration: true,
        columns: [
            .text("Min Available") { text($0["spec"]["minAvailable"]) },
            .text("Max Unavailable") { text($0["spec"]["maxUnavailable"]) },
            .integer("Allowed Disruptions") { $0["status"]["disruptionsAllowed"].int ?? 0 },
            .age,
        ],
        defaults: { budget in
            // As Kubernetes' strategy: a new budget allows nothing until the controller counted.
            if budget["status"].isNull {
                budget["status"] = ["disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0]
            }
        },
        validate: { budget, validator in
            let spec = budget["spec"]
            if !spec["minAvailable"].isNull && !spec["maxUnavailable"].isNull {
                validator.fail("spec", "Invalid value: minAvailable and maxUnavailable cannot be both set")
            }
            IntOrPercent.validate(spec["minAvailable"], "spec.minAvailable", &validator, atMost100: true)
            IntOrPercent.validate(spec["maxUnavailable"], "spec.maxUnavailable", &validator, atMost100: true)
            if !spec["selector"].isNull { validateSelector(spec["selector"], "spec.selector", &validator) }
            validator.string(spec["unhealthyPodEvictionPolicy"], "spec.unhealthyPodEvictionPolicy", oneOf: ["IfHealthyBudget", "AlwaysAllow"])
            validator.integer(budget["status"]["disruptionsAllowed"], "status.disruptionsAllowed", in: 0...Int64(Int32.max))
            for field in ["currentHealthy", "desiredHealthy", "expectedPods"] {
                validator.integer(budget["status"][field], "status.\(field)", in: 0...Int64(Int32.max))
            }
        })

    static func validateSelector(_ selector: JSON, _ field: String, _ validator: inout Validator) {
        do { _ = try LabelSelector(object: selector) } catch { validator.fail(field, "Invalid value: \(error.message)") }
    }

    static func text(_ value: JSON) -> String {
        value.string ?? value.int.map(String.init) ?? "N/A"
    }
}
