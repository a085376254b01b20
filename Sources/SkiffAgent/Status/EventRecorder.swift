import Logging
import SkiffAPI

/// Posts core/v1 Events about pods (Created, Started, Killing, BackOff, Unhealthy…) as the
/// kubelet does; a failed post is logged, never fatal.
struct EventRecorder: Sendable {
    let client: APIClient
    let nodeName: String
    let logger: Logger

    func record(pod: JSON, container: String?, type: String = "Normal", reason: String, message: String) {
        let namespace = pod["metadata"]["namespace"].string ?? "default"
        let podName = pod["metadata"]["name"].string ?? ""
        let now = Timestamp.now()
        var involved: JSON = [
            "kind": "Pod", "apiVersion": "v1", "namespace": .string(namespace), "name": .string(podName),
            "uid": pod["metadata"]["uid"],
        ]
        if let container {
            let isInit = (pod["spec"]["initContainers"].array ?? []).contains { $0["name"].string == container }
            involved["fieldPath"] = .string("spec.\(isInit ? "initContainers" : "containers"){\(container)}")
        }
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let event: JSON = [
            "apiVersion": "v1", "kind": "Event",
            "metadata": ["name": .string("\(podName).\(suffix)"), "namespace": .string(namespace)],
            "involvedObject": involved, "reason": .string(reason), "message": .string(message), "type": .string(type),
            "source": ["component": "kubelet", "host": .string(nodeName)],
            "firstTimestamp": .string(now), "lastTimestamp": .string(now), "count": 1,
            "reportingComponent": "kubelet", "reportingInstance": .string(nodeName),
        ]
        logger.info("\(reason): \(message)", metadata: ["pod": "\(namespace)/\(podName)"])
        let client = client, logger = logger
        Task {
            do { _ = try await client.create("/api/v1/namespaces/\(namespace)/events", event) } catch {
                logger.debug("event not recorded", metadata: ["error": "\(error)"])
            }
        }
    }
}
