import SkiffAPI

/// Cell helpers shared by several kinds' Table columns.
enum Columns {
    static func none(_ text: String) -> String { text.isEmpty ? "<none>" : text }

    static func containers(_ template: JSON) -> String {
        (template["spec"]["containers"].array ?? []).compactMap { $0["name"].string }.joined(separator: ",")
    }

    static func images(_ template: JSON) -> String {
        (template["spec"]["containers"].array ?? []).compactMap { $0["image"].string }.joined(separator: ",")
    }

    static func selector(_ selector: JSON) -> String {
        if let object = selector.object, object["matchLabels"] != nil || object["matchExpressions"] != nil {
            var parts = selector["matchLabels"].stringMap.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            for expression in selector["matchExpressions"].array ?? [] {
                let values = (expression["values"].array ?? []).compactMap(\.string).joined(separator: ",")
                let key = expression["key"].string ?? ""
                switch expression["operator"].string {
                case "In": parts.append("\(key) in (\(values))")
                case "NotIn": parts.append("\(key) notin (\(values))")
                case "Exists": parts.append(key)
                default: parts.append("!\(key)")
                }
            }
            return none(parts.joined(separator: ","))
        }
        return none(selector.stringMap.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))
    }

    static func podReady(_ pod: JSON) -> String {
        let total = pod["spec"]["containers"].array?.count ?? 0
        let ready = (pod["status"]["containerStatuses"].array ?? []).filter { $0["ready"].bool == true }.count
        return "\(ready)/\(total)"
    }

    static func podRestarts(_ pod: JSON) -> Int64 {
        (pod["status"]["containerStatuses"].array ?? []).reduce(0) { $0 + ($1["restartCount"].int ?? 0) }
    }

    /// kubectl's STATUS column: the phase, refined by container states and deletion.
    static func podStatus(_ pod: JSON) -> String {
        var reason = pod["status"]["reason"].string ?? pod["status"]["phase"].string ?? "Pending"
        for status in pod["status"]["containerStatuses"].array ?? [] {
            if let waiting = status["state"]["waiting"]["reason"].string, !waiting.isEmpty {
                reason = waiting
            } else if let terminated = status["state"]["terminated"]["reason"].string, !terminated.isEmpty, reason != "Running" {
                reason = terminated
            }
        }
        if !pod["metadata"]["deletionTimestamp"].isNull { reason = "Terminating" }
        return reason
    }

    static func nodeStatus(_ node: JSON) -> String {
        let ready = (node["status"]["conditions"].array ?? []).first { $0["type"].string == "Ready" }
        var status = ready?["status"].string == "True" ? "Ready" : (ready == nil ? "Unknown" : "NotReady")
        if node["spec"]["unschedulable"].bool == true { status += ",SchedulingDisabled" }
        return status
    }

    static func nodeRoles(_ node: JSON) -> String {
        let prefix = "node-role.kubernetes.io/"
        let roles = node["metadata"]["labels"].stringMap.keys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }.sorted()
        return none(roles.joined(separator: ","))
    }

    static func nodeAddress(_ node: JSON, _ type: String) -> String {
        none((node["status"]["addresses"].array ?? []).first { $0["type"].string == type }?["address"].string ?? "")
    }

    static func servicePorts(_ service: JSON) -> String {
        let ports = (service["spec"]["ports"].array ?? []).map { port -> String in
            let number = port["port"].int ?? 0
            let proto = port["protocol"].string ?? "TCP"
            if let nodePort = port["nodePort"].int { return "\(number):\(nodePort)/\(proto)" }
            return "\(number)/\(proto)"
        }
        return none(ports.joined(separator: ","))
    }

    static func serviceExternalIP(_ service: JSON) -> String {
        let external = (service["spec"]["externalIPs"].array ?? []).compactMap(\.string)
        let ingress = (service["status"]["loadBalancer"]["ingress"].array ?? []).compactMap { $0["ip"].string ?? $0["hostname"].string }
        let all = ingress + external
        if !all.isEmpty { return all.joined(separator: ",") }
        if service["spec"]["type"].string == "LoadBalancer" { return "<pending>" }
        if service["spec"]["type"].string == "ExternalName" { return service["spec"]["externalName"].string ?? "<none>" }
        return "<none>"
    }

    static func endpoints(_ endpoints: JSON) -> String {
        var entries: [String] = []
        for subset in endpoints["subsets"].array ?? [] {
            let ports = (subset["ports"].array ?? []).compactMap { $0["port"].int }
            for address in subset["addresses"].array ?? [] {
                guard let ip = address["ip"].string else { continue }
                if ports.isEmpty { entries.append(ip) } else { entries += ports.map { "\(ip):\($0)" } }
            }
        }
        if entries.count > 3 { return entries.prefix(3).joined(separator: ",") + " + \(entries.count - 3) more..." }
        return none(entries.joined(separator: ","))
    }
}
