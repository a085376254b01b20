import SkiffAPI

/// core/v1 kinds.
enum CoreResources {
    static let namespace = ResourceDefinition(
        kind: "Namespace", plural: "namespaces", namespaced: false, shortNames: ["ns"], subresources: [.status, .finalize], nameIsLabel: true,
        columns: [.text("Status") { $0["status"]["phase"].string ?? "Active" }, .age],
        selectableFields: ["status.phase"],
        defaults: { object in
            if object["status"]["phase"].isNull { object["status"] = ["phase": "Active"] }
            object["metadata"]["labels"]["kubernetes.io/metadata.name"] = object["metadata"]["name"]
        })

    static let node = ResourceDefinition(
        kind: "Node", plural: "nodes", namespaced: false, shortNames: ["no"], subresources: [.status],
        columns: [
            .text("Status", Columns.nodeStatus), .text("Roles", Columns.nodeRoles), .age,
            .text("Version") { $0["status"]["nodeInfo"]["kubeletVersion"].string ?? "" },
            .text("Internal-IP", priority: 1) { Columns.nodeAddress($0, "InternalIP") },
            .text("External-IP", priority: 1) { Columns.nodeAddress($0, "ExternalIP") },
            .text("OS-Image", priority: 1) { Columns.none($0["status"]["nodeInfo"]["osImage"].string ?? "") },
            .text("Kernel-Version", priority: 1) { Columns.none($0["status"]["nodeInfo"]["kernelVersion"].string ?? "") },
            .text("Container-Runtime", priority: 1) { Columns.none($0["status"]["nodeInfo"]["containerRuntimeVersion"].string ?? "") },
        ],
        selectableFields: ["spec.unschedulable"],
        validate: { node, validator in
            validator.quantities(node["status"]["capacity"], "status.capacity")
            validator.quantities(node["status"]["allocatable"], "status.allocatable")
            for (index, taint) in (node["spec"]["taints"].array ?? []).enumerated() {
                validator.string(taint["key"], "spec.taints[\(index)].key", required: true)
                validator.string(taint["effect"], "spec.taints[\(index)].effect", required: true, oneOf: ["NoSchedule", "PreferNoSchedule", "NoExecute"])
            }
        })

    static let pod = ResourceDefinition(
        kind: "Pod", plural: "pods", shortNames: ["po"], categories: ["all"], subresources: [.status, .binding, .log, .exec, .attach, .portforward, .eviction],
        columns: [
            .text("Ready", Columns.podReady), .text("Status", Columns.podStatus), .integer("Restarts", Columns.podRestarts), .age,
            .text("IP", priority: 1) { Columns.none($0["status"]["podIP"].string ?? "") },
            .text("Node", priority: 1) { Columns.none($0["spec"]["nodeName"].string ?? "") },
            .text("Nominated Node", priority: 1) { Columns.none($0["status"]["nominatedNodeName"].string ?? "") },
            .text("Readiness Gates", priority: 1) { _ in "<none>" },
        ],
        selectableFields: [
            "spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "status.phase", "status.podIP", "status.nominatedNodeName",
        ],
        defaults: { pod in
            var spec = pod["spec"]
            PodSpecRules.applyDefaults(&spec)
            pod["spec"] = spec
            if pod["status"]["phase"].isNull { pod["status"]["phase"] = "Pending" }
            if pod["status"]["qosClass"].isNull { pod["status"]["qosClass"] = .string(QoS.classify(spec)) }
        },
        validate: { pod, validator in PodSpecRules.validate(pod["spec"], "spec", &validator) })

    static let service = ResourceDefinition(
        kind: "Service", plural: "services", shortNames: ["svc"], categories: ["all"], subresources: [.status], nameIsLabel: true,
        columns: [
            .text("Type") { $0["spec"]["type"].string ?? "ClusterIP" },
            .text("Cluster-IP") { Columns.none($0["spec"]["clusterIP"].string ?? "") },
            .text("External-IP", Columns.serviceExternalIP), .text("Port(s)", Columns.servicePorts), .age,
            .text("Selector", priority: 1) { Columns.selector($0["spec"]["selector"]) },
        ],
        defaults: { service in
            if service["spec"]["type"].isNull { service["spec"]["type"] = "ClusterIP" }
            if service["spec"]["sessionAffinity"].isNull { service["spec"]["sessionAffinity"] = "None" }
            if var ports = service["spec"]["ports"].array {
                for index in ports.indices {
                    if ports[index]["protocol"].isNull { ports[index]["protocol"] = "TCP" }
                    if ports[index]["targetPort"].isNull { ports[index]["targetPort"] = ports[index]["port"] }
                }
                service["spec"]["ports"] = .array(ports)
            }
        },
        validate: { service, validator in
            validator.string(service["spec"]["type"], "spec.type", oneOf: ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"])
            validator.stringMap(service["spec"]["selector"], "spec.selector", labels: true)
            let ports = service["spec"]["ports"].array ?? []
            if ports.isEmpty && service["spec"]["type"].string != "ExternalName" && service["spec"]["clusterIP"].string != "None" {
                validator.fail("spec.ports", "Required value")
            }
            // Endpoints name a Service's ports by name, and the proxy tells them apart by port and
            // protocol: both must be unique.
            var names: Set<String> = []
            var portsAndProtocols: Set<String> = []
            for (index, port) in ports.enumerated() {
                validator.integer(port["port"], "spec.ports[\(index)].port", in: 1...65535, required: true)
                validator.integer(port["nodePort"], "spec.ports[\(index)].nodePort", in: 0...65535)
                validator.string(port["protocol"], "spec.ports[\(index)].protocol", oneOf: ["TCP", "UDP", "SCTP"])
                let name = port["name"].string ?? ""
                if ports.count > 1, name.isEmpty { validator.fail("spec.ports[\(index)].name", "Required value") }
                if !name.isEmpty, !names.insert(name).inserted { validator.fail("spec.ports[\(index)].name", "Duplicate value: \"\(name)\"") }
                let key = "\(port["port"].int ?? 0)/\(port["protocol"].string ?? "TCP")"
                if !portsAndProtocols.insert(key).inserted { validator.fail("spec.ports[\(index)]", "Duplicate value: \"\(key)\"") }
            }
        })

    static let endpoints = ResourceDefinition(
        kind: "Endpoints", plural: "endpoints", shortNames: ["ep"], columns: [.text("Endpoints", Columns.endpoints), .age],
        topLevelFields: ["subsets"])

    static let event = ResourceDefinition(
        kind: "Event", plural: "events", shortNames: ["ev"],
        columns: [
            .text("Last Seen") { Timestamp.age(since: $0["lastTimestamp"].string ?? $0["eventTime"].string ?? $0["metadata"]["creationTimestamp"].string) },
            .text("Type") { $0["type"].string ?? "" }, .text("Reason") { $0["reason"].string ?? "" },
            .text("Object") { "\(($0["involvedObject"]["kind"].string ?? "").lowercased())/\($0["involvedObject"]["name"].string ?? "")" },
            .text("Message") { $0["message"].string ?? "" },
            .text("Source", priority: 1) { $0["source"]["component"].string ?? $0["reportingComponent"].string ?? "" },
            .integer("Count", priority: 1) { $0["count"].int ?? 1 },
            TableColumn("Name", format: "name", priority: 1) { .string($0["metadata"]["name"].string ?? "") },
        ],
        selectableFields: [
            "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid", "involvedObject.apiVersion",
            "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type",
        ],
        topLevelFields: [
            "involvedObject", "reason", "message", "source", "firstTimestamp", "lastTimestamp", "count", "type", "eventTime",
            "series", "action", "related", "reportingComponent", "reportingInstance",
        ],
        leadingNameColumn: false,
        validate: { event, validator in validator.require(event["involvedObject"], "involvedObject") })

    static let configMap = ResourceDefinition(
        kind: "ConfigMap", plural: "configmaps", shortNames: ["cm"],
        columns: [.integer("Data") { Int64(($0["data"].object?.count ?? 0) + ($0["binaryData"].object?.count ?? 0)) }, .age],
        topLevelFields: ["data", "binaryData", "immutable"],
        validate: { configMap, validator in
            for (key, value) in configMap["data"].object ?? [:] where value.string == nil {
                validator.fail("data[\(key)]", "Invalid value: must be a string")
            }
        })

    static let secret = ResourceDefinition(
        kind: "Secret", plural: "secrets",
        columns: [
            .text("Type") { $0["type"].string ?? "Opaque" },
            .integer("Data") { Int64($0["data"].object?.count ?? 0) }, .age,
        ],
        selectableFields: ["type"],
        topLevelFields: ["data", "stringData", "type", "immutable"],
        defaults: { secret in
            if (secret["type"].string ?? "").isEmpty { secret["type"] = "Opaque" }
            // stringData is write-only: fold it into data, base64-encoded, as the API server does.
            if let strings = secret["stringData"].object {
                for (key, value) in strings { secret["data"][key] = .string(Base64.encode(Array((value.string ?? "").utf8))) }
                secret["stringData"] = .null
            }
        },
        validate: { secret, validator in
            for (key, value) in secret["data"].object ?? [:] where value.string.flatMap(Base64.decode) == nil {
                validator.fail("data[\(key)]", "Invalid value: must be base64-encoded")
            }
        })

    static let serviceAccount = ResourceDefinition(
        kind: "ServiceAccount", plural: "serviceaccounts", shortNames: ["sa"], subresources: [.token],
        columns: [.integer("Secrets") { Int64($0["secrets"].array?.count ?? 0) }, .age],
        topLevelFields: ["secrets", "imagePullSecrets", "automountServiceAccountToken"])
}
