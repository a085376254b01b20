import SkiffAPI

/// Pods and Services as the API would hand them to the controllers.
enum Fixtures {
    static func service(
        _ name: String, namespace: String = "default", uid: String = "svc-uid", selector: [String: String]? = ["app": "web"],
        ports: [JSON] = [["port": 80, "targetPort": 8080]], publishNotReady: Bool = false, headless: Bool = false
    ) throws -> KubeService {
        var spec: JSON = ["ports": .array(ports)]
        if let selector { spec["selector"] = JSON(stringMap: selector) }
        if publishNotReady { spec["publishNotReadyAddresses"] = true }
        if headless { spec["clusterIP"] = "None" }
        return try KubeService(json: ["metadata": ["name": .string(name), "namespace": .string(namespace), "uid": .string(uid)], "spec": spec])
    }

    static func pod(
        _ name: String, namespace: String = "default", ip: String? = "10.42.0.1", ready: Bool = true, labels: [String: String] = ["app": "web"],
        phase: String = "Running", deleting: Bool = false, containerPorts: [JSON] = [], hostname: String? = nil, subdomain: String? = nil,
        node: String? = "node-1"
    ) throws -> Pod {
        var spec: JSON = ["containers": [["name": "main", "image": "busybox", "ports": .array(containerPorts)]]]
        if let hostname { spec["hostname"] = .string(hostname) }
        if let subdomain { spec["subdomain"] = .string(subdomain) }
        if let node { spec["nodeName"] = .string(node) }
        var status: JSON = ["phase": .string(phase), "conditions": [["type": "Ready", "status": .string(ready ? "True" : "False")]]]
        if let ip { status["podIP"] = .string(ip) }
        var metadata: JSON = ["name": .string(name), "namespace": .string(namespace), "uid": .string("uid-" + name), "labels": JSON(stringMap: labels)]
        if deleting { metadata["deletionTimestamp"] = "2026-12-07T00:00:00Z" }
        return try Pod(json: ["metadata": metadata, "spec": spec, "status": status])
    }

    /// A stored slice as the informer would have it.
    static func slice(_ name: String, ports: [EndpointPort], endpoints: [Endpoint], labels: [String: String], version: String = "1") throws -> EndpointSlice {
        try EndpointSlice(json: [
            "metadata": ["name": .string(name), "namespace": "default", "labels": JSON(stringMap: labels), "resourceVersion": .string(version)],
            "addressType": "IPv4", "endpoints": endpoints.json, "ports": ports.json,
        ])
    }
}
