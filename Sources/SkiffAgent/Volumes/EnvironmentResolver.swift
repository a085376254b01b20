import SkiffAPI

/// Builds a container's environment: the image's, then envFrom, then env (later wins), with
/// valueFrom resolved from ConfigMaps, Secrets, the pod's fields and its resources.
struct EnvironmentResolver: Sendable {
    let volumes: VolumeManager

    func resolve(pod: Pod, container: Container, image: [String], podIP: String, hostIP: String) async throws -> [String] {
        let namespace = pod.namespace
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
        set("HOSTNAME", pod.spec.hostname ?? pod.name)
        for (name, value) in await kubernetesServiceVariables() { set(name, value) }
        for source in container.envFrom {
            do {
                for (key, bytes) in try await volumes.fetchData(namespace: namespace, name: source.name, secret: source.isSecret).sorted(by: { $0.key < $1.key }
                ) {
                    set(source.prefix + key, String(decoding: bytes, as: UTF8.self))
                }
            } catch let error as VolumeError {
                if !source.optional { throw VolumeError(reason: "CreateContainerConfigError", message: error.message) }
            }
        }
        for variable in container.env {
            switch variable.valueFrom {
            case nil:
                set(variable.name, ContainerSpecBuilder.expandVariables(variable.value, environment: order.map { "\($0)=\(values[$0]!)" }))
            case .fieldRef(let fieldPath):
                set(variable.name, Self.fieldValue(fieldPath, pod: pod, podIP: podIP, hostIP: hostIP))
            case .resourceFieldRef(let reference):
                set(variable.name, Self.resourceValue(reference, container: container))
            case .configMapKeyRef(let reference):
                if let value = try await value(of: reference, secret: false, namespace: namespace) { set(variable.name, value) }
            case .secretKeyRef(let reference):
                if let value = try await value(of: reference, secret: true, namespace: namespace) { set(variable.name, value) }
            }
        }
        if values["PATH"] == nil { set("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") }
        return order.map { "\($0)=\(values[$0]!)" }
    }

    /// The `kubernetes` Service's variables every container gets, as the kubelet sets them for
    /// the master service (`KUBERNETES_SERVICE_HOST`, `KUBERNETES_SERVICE_PORT`, the docker-link
    /// style `KUBERNETES_PORT*`), so in-cluster clients find the API. None when it cannot be read.
    func kubernetesServiceVariables() async -> [(String, String)] {
        guard let service = try? await volumes.client.get("/api/v1/namespaces/default/services/kubernetes"),
            let host = service["spec"]["clusterIP"].string, !host.isEmpty, host != "None",
            let port = service["spec"]["ports"].array?.first, let number = port["port"].int
        else { return [] }
        let proto = (port["protocol"].string ?? "TCP").lowercased()
        let url = "\(proto)://\(host):\(number)"
        var variables = [("KUBERNETES_SERVICE_HOST", host), ("KUBERNETES_SERVICE_PORT", String(number))]
        if let name = port["name"].string, !name.isEmpty { variables.append(("KUBERNETES_SERVICE_PORT_\(name.uppercased())", String(number))) }
        let prefix = "KUBERNETES_PORT_\(number)_\(proto.uppercased())"
        variables += [("KUBERNETES_PORT", url), (prefix, url), (prefix + "_PROTO", proto), (prefix + "_PORT", String(number)), (prefix + "_ADDR", host)]
        return variables
    }

    /// One key of a ConfigMap or Secret; nil when an optional key (or its object) is missing.
    private func value(of reference: EnvVar.KeySelector, secret: Bool, namespace: String) async throws -> String? {
        do {
            let data = try await volumes.fetchData(namespace: namespace, name: reference.name, secret: secret)
            if let bytes = data[reference.key] { return String(decoding: bytes, as: UTF8.self) }
            guard reference.optional else {
                throw VolumeError(
                    reason: "CreateContainerConfigError",
                    message: "couldn't find key \(reference.key) in \(secret ? "Secret" : "ConfigMap") \(namespace)/\(reference.name)")
            }
        } catch let error as VolumeError {
            if !reference.optional { throw VolumeError(reason: "CreateContainerConfigError", message: error.message) }
        }
        return nil
    }

    /// A downward API field: metadata.name, metadata.labels['k'], status.podIP, spec.nodeName…
    /// The addresses are passed in: a container starts before the API has the pod's status.
    static func fieldValue(_ path: String, pod: Pod, podIP: String?, hostIP: String?) -> String {
        switch path {
        case "metadata.name": return pod.name
        case "metadata.namespace": return pod.namespace
        case "metadata.uid": return pod.uid
        case "spec.nodeName": return pod.spec.nodeName ?? ""
        case "spec.serviceAccountName": return pod.spec.serviceAccountName ?? ""
        case "status.podIP", "status.podIPs": return podIP ?? ""
        case "status.hostIP", "status.hostIPs": return hostIP ?? ""
        case "metadata.labels", "metadata.annotations":
            let map = path == "metadata.labels" ? pod.labels : pod.annotations
            return map.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: "\n")
        default:
            for prefix in ["metadata.labels['", "metadata.annotations['"] where path.hasPrefix(prefix) && path.hasSuffix("']") {
                let key = String(path.dropFirst(prefix.count).dropLast(2))
                return (prefix.contains("labels") ? pod.labels : pod.annotations)[key] ?? ""
            }
            return ""
        }
    }

    /// A container resource in units of the divisor, rounded up as the kubelet does.
    static func resourceValue(_ reference: EnvVar.ResourceFieldSelector, container: Container) -> String {
        let divisor = reference.divisor
        guard let quantity = container.resources.quantity(reference.resource), divisor.milliValue > 0 else { return "" }
        let value = (quantity.milliValue + divisor.milliValue - 1) / divisor.milliValue
        return "\(value)"
    }
}
