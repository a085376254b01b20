import SkiffAPI

/// HorizontalPodAutoscaler, served as autoscaling/v2 (stored) and autoscaling/v1 (converted on
/// every read and write, see `HorizontalPodAutoscalerConversion`). The HPA controller scales
/// its target; here it is stored, defaulted, validated and shown.
enum AutoscalingResources {
    static let horizontalPodAutoscaler = ResourceDefinition(
        group: "autoscaling", version: "v2", kind: "HorizontalPodAutoscaler", plural: "horizontalpodautoscalers", shortNames: ["hpa"],
        categories: ["all"], subresources: [.status], tracksGeneration: true,
        columns: columns,
        defaults: defaultV2,
        validate: validateV2)

    static let horizontalPodAutoscalerV1 = ResourceDefinition(
        group: "autoscaling", version: "v1", kind: "HorizontalPodAutoscaler", plural: "horizontalpodautoscalers", shortNames: ["hpa"],
        categories: ["all"], subresources: [.status], tracksGeneration: true,
        columns: columns.map { column in
            TableColumn(column.name, type: column.type, priority: column.priority) { column.cell(HorizontalPodAutoscalerConversion.toV2($0)) }
        },
        defaults: { hpa in
            var stored = HorizontalPodAutoscalerConversion.toV2(hpa)
            defaultV2(&stored)
            hpa = HorizontalPodAutoscalerConversion.toV1(stored)
        },
        validate: { hpa, validator in validateV2(HorizontalPodAutoscalerConversion.toV2(hpa), &validator) },
        conversion: VersionConversion(toStorage: HorizontalPodAutoscalerConversion.toV2, fromStorage: HorizontalPodAutoscalerConversion.toV1))

    static let defaultCPUUtilization: Int64 = 80

    /// Kubernetes' v2 defaults: at least one replica, and 80 % CPU when no metric is named.
    @Sendable static func defaultV2(_ hpa: inout JSON) {
        guard hpa["spec"].object != nil else { return }
        if hpa["spec"]["minReplicas"].isNull { hpa["spec"]["minReplicas"] = 1 }
        if (hpa["spec"]["metrics"].array ?? []).isEmpty {
            hpa["spec"]["metrics"] = [HorizontalPodAutoscalerConversion.cpuMetric(defaultCPUUtilization)]
        }
    }

    @Sendable static func validateV2(_ hpa: JSON, _ validator: inout Validator) {
        let spec = hpa["spec"]
        guard spec.object != nil else { return validator.fail("spec", "Required value") }
        validator.string(spec["scaleTargetRef"]["kind"], "spec.scaleTargetRef.kind", required: true)
        validator.string(spec["scaleTargetRef"]["name"], "spec.scaleTargetRef.name", required: true)
        if let name = spec["scaleTargetRef"]["name"].string, name.contains("/") || name.contains("%") || name == "." || name == ".." {
            validator.fail("spec.scaleTargetRef.name", "Invalid value: \"\(name)\": may not contain '/' or '%' and may not be '.' or '..'")
        }
        let minimum = spec["minReplicas"].int ?? 1
        if minimum < 1 { validator.fail("spec.minReplicas", "Invalid value: \(minimum): must be greater than or equal to 1") }
        guard let maximum = spec["maxReplicas"].int else { return validator.fail("spec.maxReplicas", "Required value") }
        if maximum < 1 {
            validator.fail("spec.maxReplicas", "Invalid value: \(maximum): must be greater than 0")
        } else if maximum < minimum {
            validator.fail("spec.maxReplicas", "Invalid value: \(maximum): must be greater than or equal to `minReplicas`")
        }
        for (index, metric) in (spec["metrics"].array ?? []).enumerated() {
            validateMetric(metric, "spec.metrics[\(index)]", &validator)
        }
        for direction in ["scaleUp", "scaleDown"] {
            let rules = spec["behavior"][direction]
            guard rules.object != nil else { continue }
            let path = "spec.behavior.\(direction)"
            validator.integer(rules["stabilizationWindowSeconds"], "\(path).stabilizationWindowSeconds", in: 0...3600)
            validator.string(rules["selectPolicy"], "\(path).selectPolicy", oneOf: ["Max", "Min", "Disabled"])
            for (index, policy) in (rules["policies"].array ?? []).enumerated() {
                validator.string(policy["type"], "\(path).policies[\(index)].type", required: true, oneOf: ["Pods", "Percent"])
                validator.integer(policy["value"], "\(path).policies[\(index)].value", in: 1...Int64(Int32.max), required: true)
                validator.integer(policy["periodSeconds"], "\(path).policies[\(index)].periodSeconds", in: 1...1800, required: true)
            }
        }
    }

    static func validateMetric(_ metric: JSON, _ path: String, _ validator: inout Validator) {
        let types = ["ContainerResource", "External", "Object", "Pods", "Resource"]
        validator.string(metric["type"], "\(path).type", required: true, oneOf: types)
        guard let type = metric["type"].string, types.contains(type) else { return }
        // Each type's source lives under the type's name with a lowercase first letter.
        let sourceName = type.prefix(1).lowercased() + type.dropFirst()
        let source = metric[sourceName]
        guard source.object != nil else {
            return validator.fail("\(path).\(sourceName)", "Required value: must populate information for the given metric source")
        }
        if type == "Resource" || type == "ContainerResource" {
            validator.string(source["name"], "\(path).\(sourceName).name", required: true)
        } else {
            validator.string(source["metric"]["name"], "\(path).\(sourceName).metric.name", required: true)
        }
        if type == "ContainerResource" { validator.string(source["container"], "\(path).\(sourceName).container", required: true) }
        let target = source["target"]
        let targetPath = "\(path).\(sourceName).target"
        validator.string(target["type"], "\(targetPath).type", required: true, oneOf: ["Utilization", "Value", "AverageValue"])
        switch target["type"].string {
        case "Utilization":
            if let utilization = target["averageUtilization"].int {
                if utilization < 1 { validator.fail("\(targetPath).averageUtilization", "Invalid value: \(utilization): must be greater than 0") }
            } else {
                validator.fail("\(targetPath).averageUtilization", "Required value: must set either a target raw value or a target utilization")
            }
        case "AverageValue": validator.quantities(["averageValue": target["averageValue"]], targetPath)
        case "Value": validator.quantities(["value": target["value"]], targetPath)
        default: break
        }
    }

    static let columns: [TableColumn] = [
        .text("Reference") { "\($0["spec"]["scaleTargetRef"]["kind"].string ?? "")/\($0["spec"]["scaleTargetRef"]["name"].string ?? "")" },
        .text("Targets", targets),
        .text("MinPods") { $0["spec"]["minReplicas"].int.map(String.init) ?? "<unset>" },
        .integer("MaxPods") { $0["spec"]["maxReplicas"].int ?? 0 },
        .integer("Replicas") { $0["status"]["currentReplicas"].int ?? 0 },
        .age,
    ]

    /// kubectl's TARGETS: `cpu: 12%/50%`, `<unknown>` until the controller measured, the
    /// status's current metrics matched to the spec's by position.
    @Sendable static func targets(_ hpa: JSON) -> String {
        let metrics = hpa["spec"]["metrics"].array ?? []
        guard !metrics.isEmpty else { return "<none>" }
        let current = hpa["status"]["currentMetrics"].array ?? []
        var parts: [String] = []
        for (index, metric) in metrics.enumerated() {
            let type = metric["type"].string ?? ""
            let sourceName = type.prefix(1).lowercased() + type.dropFirst()
            let target = metric[sourceName]["target"]
            let status: JSON = index < current.count ? current[index][sourceName]["current"] : .null
            func text(_ value: JSON) -> String? { value.string ?? value.int.map(String.init) }
            switch type {
            case "Resource", "ContainerResource":
                let name = metric[sourceName]["name"].string ?? ""
                if let average = text(target["averageValue"]) {
                    parts.append("\(name): \(text(status["averageValue"]) ?? "<unknown>")/\(average)")
                } else {
                    let now = status["averageUtilization"].int.map { "\($0)%" } ?? "<unknown>"
                    let goal = target["averageUtilization"].int.map { "\($0)%" } ?? "<auto>"
                    parts.append("\(name): \(now)/\(goal)")
                }
            case "Pods":
                parts.append("\(text(status["averageValue"]) ?? "<unknown>")/\(text(target["averageValue"]) ?? "<unknown>")")
            default:
                if let average = text(target["averageValue"]) {
                    parts.append("\(text(status["averageValue"]) ?? "<unknown>")/\(average) (avg)")
                } else {
                    parts.append("\(text(status["value"]) ?? "<unknown>")/\(text(target["value"]) ?? "<unknown>")")
                }
            }
        }
        if parts.count > 4 { return parts.prefix(4).joined(separator: ", ") + " + \(parts.count - 4) more..." }
        return parts.joined(separator: ", ")
    }
}
