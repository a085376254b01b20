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
        var involved: JSON = [
            "kind": "Pod", "apiVersion": "v1", "namespace": .string(namespace), "name": .string(podName), "uid": .string(subject.uid),
        ]
        if let fieldPath = subject.fieldPath { involved["fieldPath"] = .string(fieldPath) }
        let event = EventRecorder.event(involved: involved, type: type, reason: reason, message: message, component: "kubelet", host: nodeName)
        logger.info("\(reason): \(message)", metadata: ["pod": "\(namespace)/\(podName)"])
        recorder.record(namespace: namespace, event)
    }
}

extension APIClient: EventWriter {
    public func createEvent(namespace: String, _ event: JSON) async throws {
        _ = try await create("/api/v1/namespaces/\(namespace)/events", event)
    }
}
