import Logging
import SkiffAPI
import SkiffClient

/// Pod statuses, events and deletions, written to the API server as the kubelet writes them.
/// Events go through the agent's one bounded `EventRecorder`, so a burst never holds up a pod.
struct APIStatusSink: PodStatusSink {
    let client: APIClient
    let recorder: EventRecorder
    let nodeName: String
    let logger: Logger

    func patchStatus(namespace: String, name: String, status: JSON) async throws -> Pod {
        try Pod(json: try await client.mergePatch("/api/v1/namespaces/\(namespace)/pods/\(name)/status", ["status": status]))
    }

    func confirmDeletion(namespace: String, name: String, uid: String) async throws {
        do {
            _ = try await client.delete(
                "/api/v1/namespaces/\(namespace)/pods/\(name)",
                body: ["kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0, "preconditions": ["uid": .string(uid)]])
        } catch let error as APIClientError where error.isNotFound || error.isConflict {
            // Already gone, or a new pod took the name: nothing of ours to delete.
        }
    }

    func record(_ subject: PodEventSubject, type: String, reason: String, message: String) {
        let namespace = subject.namespace
        let podName = subject.name
        let now = Timestamp.now()
        var involved: JSON = [
            "kind": "Pod", "apiVersion": "v1", "namespace": .string(namespace), "name": .string(podName), "uid": .string(subject.uid),
        ]
        if let fieldPath = subject.fieldPath { involved["fieldPath"] = .string(fieldPath) }
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
        recorder.record(namespace: namespace, event)
    }
}

extension APIClient: EventWriter {
    public func createEvent(namespace: String, _ event: JSON) async throws {
        _ = try await create("/api/v1/namespaces/\(namespace)/events", event)
    }
}
