import SkiffAPI

/// Builds a container's environment: the image's, then envFrom, then env (later wins), with
/// valueFrom resolved from ConfigMaps, Secrets, the pod's fields and its resources.
struct EnvironmentResolver: Sendable {
    let volumes: VolumeManager

    func resolve(pod: JSON, container: JSON, image: [String], podIP: String, hostIP: String) async throws -> [String] {
        let namespace = pod["metadata"]["namespace"].string ?? "default"
        var order: [String] = []
        var values: [String: String] = [:]
        func set(_ name: String, _ value: String) {
            if values[name] == nil { order.append(name) }
            values[name] = value
        }
        for entry in image {
            guard let equals = entry.firstIndex(of: "=") else { continue }
            set(String(entry[..<equals]), String(entry[entry.index(after: equals)...]))
        }
        set("HOSTNAME", pod["spec"]["hostname"].string ?? pod["metadata"]["name"].string ?? "")
        for source in container["envFrom"].array ?? [] {
            let prefix = source["prefix"].string ?? ""
            let isSecret = !source["secretRef"].isNull
            let reference = isSecret ? source["secretRef"] : source["configMapRef"]
            guard let name = reference["name"].string else { continue }
            do {
                for (key, bytes) in try await volumes.fetchData(namespace: namespace, name: name, secret: isSecret).sorted(by: { $0.key < $1.key }) {
                    set(prefix + key, String(decoding: bytes, as: UTF8.self))
                }
            } catch let error as VolumeError {
                if reference["optional"].bool != true { throw VolumeError(reason: "CreateContainerConfigError", message: error.message) }
            }
        }
        var podWithIPs = pod
        podWithIPs["status"]["podIP"] = .string(podIP)
        podWithIPs["status"]["hostIP"] = .string(hostIP)
        for variable in container["env"].array ?? [] {
            guard let name = variable["name"].string else { continue }
            let from = variable["valueFrom"]
            if from.isNull {
                set(name, ContainerSpecBuilder.expandVariables(variable["value"].string ?? "", environment: order.map { "\($0)=\(values[$0]!)" }))
            } else if !from["fieldRef"].isNull {
                set(name, Self.fieldValue(from["fieldRef"]["fieldPath"].string ?? "", pod: podWithIPs, multiline: false))
            } else if !from["resourceFieldRef"].isNull {
                set(name, Self.resourceValue(from["resourceFieldRef"], container: container))
            } else {
                let isSecret = !from["secretKeyRef"].isNull
                let reference = isSecret ? from["secretKeyRef"] : from["configMapKeyRef"]
                let objectName = reference["name"].string ?? "", key = reference["key"].string ?? ""
                let optional = reference["optional"].bool ?? false
                do {
                    let data = try await volumes.fetchData(namespace: namespace, name: objectName, secret: isSecret)
                    if let bytes = data[key] {
                        set(name, String(decoding: bytes, as: UTF8.self))
                    } else if !optional {
                        throw VolumeError(reason: "CreateContainerConfigError", message: "couldn't find key \(key) in \(isSecret ? "Secret" : "ConfigMap") \(namespace)/\(objectName)")
                    }
                } catch let error as VolumeError {
                    if !optional { throw VolumeError(reason: "CreateContainerConfigError", message: error.message) }
                }
            }
        }
        if values["PATH"] == nil { set("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") }
        return order.map { "\($0)=\(values[$0]!)" }
    }

    /// A downward API field: metadata.name, metadata.labels['k'], status.podIP, spec.nodeName…
    static func fieldValue(_ path: String, pod: JSON, multiline: Bool) -> String {
        switch path {
        case "metadata.name": return pod["metadata"]["name"].string ?? ""
        case "metadata.namespace": return pod["metadata"]["namespace"].string ?? ""
        case "metadata.uid": return pod["metadata"]["uid"].string ?? ""
        case "spec.nodeName": return pod["spec"]["nodeName"].string ?? ""
        case "spec.serviceAccountName": return pod["spec"]["serviceAccountName"].string ?? ""
        case "status.podIP", "status.podIPs": return pod["status"]["podIP"].string ?? ""
        case "status.hostIP", "status.hostIPs": return pod["status"]["hostIP"].string ?? ""
        case "metadata.labels", "metadata.annotations":
            let map = pod["metadata"][path == "metadata.labels" ? "labels" : "annotations"].stringMap
            return map.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: "\n")
        default:
            for prefix in ["metadata.labels['", "metadata.annotations['"] where path.hasPrefix(prefix) && path.hasSuffix("']") {
                let key = String(path.dropFirst(prefix.count).dropLast(2))
                return pod["metadata"][prefix.contains("labels") ? "labels" : "annotations"][key].string ?? ""
            }
            return ""
        }
    }

    static func resourceValue(_ reference: JSON, container: JSON) -> String {
        let resource = reference["resource"].string ?? ""
        let parts = resource.split(separator: ".", maxSplits: 1)
        guard parts.count == 2 else { return "" }
        let quantity = Quantity(json: container["resources"][String(parts[0])][String(parts[1])])
        let divisor = Quantity(json: reference["divisor"]) ?? Quantity(milliValue: 1000)
        guard let quantity, divisor.milliValue > 0 else { return "" }
        let value = (quantity.milliValue + divisor.milliValue - 1) / divisor.milliValue
        return "\(value)"
    }
}
