import SkiffAPI

/// Defaulting and validation shared by Pods and every pod template (Deployment, Job, ...).
enum PodSpecRules {
    static func applyDefaults(_ spec: inout JSON) {
        if spec["restartPolicy"].isNull { spec["restartPolicy"] = "Always" }
        if spec["dnsPolicy"].isNull { spec["dnsPolicy"] = "ClusterFirst" }
        if spec["schedulerName"].isNull { spec["schedulerName"] = "default-scheduler" }
        if spec["terminationGracePeriodSeconds"].isNull { spec["terminationGracePeriodSeconds"] = 30 }
        if spec["securityContext"].isNull { spec["securityContext"] = .emptyObject }
        for field in ["containers", "initContainers"] {
            guard var containers = spec[field].array else { continue }
            for index in containers.indices {
                var container = containers[index]
                if container["imagePullPolicy"].isNull {
                    let image = container["image"].string ?? ""
                    let tagged = image.split(separator: "/").last?.contains(":") ?? false
                    container["imagePullPolicy"] = (image.hasSuffix(":latest") || !tagged) ? "Always" : "IfNotPresent"
                }
                if container["terminationMessagePath"].isNull { container["terminationMessagePath"] = "/dev/termination-log" }
                if container["terminationMessagePolicy"].isNull { container["terminationMessagePolicy"] = "File" }
                if container["resources"].isNull { container["resources"] = .emptyObject }
                if var ports = container["ports"].array {
                    for portIndex in ports.indices where ports[portIndex]["protocol"].isNull { ports[portIndex]["protocol"] = "TCP" }
                    container["ports"] = .array(ports)
                }
                containers[index] = container
            }
            spec[field] = .array(containers)
        }
    }

    static func validate(_ spec: JSON, _ path: String, _ validator: inout Validator, restartPolicies: [String] = ["Always", "OnFailure", "Never"]) {
        guard spec.object != nil else { return validator.fail(path, "Required value") }
        validator.string(spec["restartPolicy"], "\(path).restartPolicy", oneOf: restartPolicies)
        validator.string(spec["nodeName"], "\(path).nodeName")
        validator.stringMap(spec["nodeSelector"], "\(path).nodeSelector", labels: true)
        validator.integer(spec["terminationGracePeriodSeconds"], "\(path).terminationGracePeriodSeconds", in: 0...Int64(Int32.max))
        guard let containers = spec["containers"].array, !containers.isEmpty else {
            return validator.fail("\(path).containers", "Required value")
        }
        var names = Set<String>()
        for field in ["initContainers", "containers"] {
            for (index, container) in (spec[field].array ?? []).enumerated() {
                let containerPath = "\(path).\(field)[\(index)]"
                if let name = container["name"].string, !name.isEmpty {
                    if let problem = ObjectNames.labelProblem(name) { validator.fail("\(containerPath).name", "Invalid value: \"\(name)\": \(problem)") }
                    if !names.insert(name).inserted { validator.fail("\(containerPath).name", "Duplicate value: \"\(name)\"") }
                } else {
                    validator.fail("\(containerPath).name", "Required value")
                }
                validator.string(container["image"], "\(containerPath).image", required: true)
                validator.string(container["imagePullPolicy"], "\(containerPath).imagePullPolicy", oneOf: ["Always", "IfNotPresent", "Never"])
                validator.quantities(container["resources"]["requests"], "\(containerPath).resources.requests")
                validator.quantities(container["resources"]["limits"], "\(containerPath).resources.limits")
                for (portIndex, port) in (container["ports"].array ?? []).enumerated() {
                    let portPath = "\(containerPath).ports[\(portIndex)]"
                    validator.integer(port["containerPort"], "\(portPath).containerPort", in: 1...65535, required: true)
                    validator.integer(port["hostPort"], "\(portPath).hostPort", in: 0...65535)
                    validator.string(port["protocol"], "\(portPath).protocol", oneOf: ["TCP", "UDP", "SCTP"])
                }
                for (envIndex, variable) in (container["env"].array ?? []).enumerated() {
                    validator.string(variable["name"], "\(containerPath).env[\(envIndex)].name", required: true)
                }
            }
        }
    }

    /// A template-owning workload: selector required and matching the template's labels.
    static func validateWorkload(_ object: JSON, _ validator: inout Validator, restartPolicies: [String] = ["Always"], selectorRequired: Bool = true) {
        validateWorkloadSpec(object["spec"], "spec", &validator, restartPolicies: restartPolicies, selectorRequired: selectorRequired)
    }

    /// The rules of `validateWorkload` for a spec at `path` (a CronJob's `spec.jobTemplate.spec`).
    static func validateWorkloadSpec(
        _ spec: JSON, _ path: String, _ validator: inout Validator, restartPolicies: [String] = ["Always"], selectorRequired: Bool = true
    ) {
        guard spec.object != nil else { return validator.fail(path, "Required value") }
        validator.integer(spec["replicas"], "\(path).replicas", in: 0...Int64(Int32.max))
        let template = spec["template"]
        validator.stringMap(template["metadata"]["labels"], "\(path).template.metadata.labels", labels: true)
        if spec["selector"].isNull {
            if selectorRequired { validator.fail("\(path).selector", "Required value") }
        } else {
            do {
                let selector = try LabelSelector(object: spec["selector"])
                if selector.isEmpty {
                    validator.fail("\(path).selector", "Invalid value: empty selector is invalid for deployment")
                } else if !selector.matches(template["metadata"]["labels"].stringMap) {
                    validator.fail("\(path).template.metadata.labels", "Invalid value: `selector` does not match template `labels`")
                }
            } catch {
                validator.fail("\(path).selector", "Invalid value: \(error.message)")
            }
        }
        validate(template["spec"], "\(path).template.spec", &validator, restartPolicies: restartPolicies)
    }

    static func defaultTemplate(_ object: inout JSON) {
        var spec = object["spec"]
        defaultTemplate(inSpec: &spec)
        object["spec"] = spec
    }

    /// Pod defaults for `spec.template.spec` of a workload spec (or a CronJob's job template spec).
    static func defaultTemplate(inSpec workload: inout JSON) {
        var spec = workload["template"]["spec"]
        guard spec.object != nil else { return }
        applyDefaults(&spec)
        workload["template"]["spec"] = spec
    }
}
