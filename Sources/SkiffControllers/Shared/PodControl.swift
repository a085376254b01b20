import SkiffAPI
import SkiffClient

/// The object a controller makes pods for, as owner references and events name it.
public struct ControllerOwner: Sendable {
    public let apiVersion: String
    public let kind: String
    public let metadata: ObjectMeta

    public init(apiVersion: String, kind: String, metadata: ObjectMeta) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.metadata = metadata
    }

    /// The owner reference its pods carry: controller, blocking a foreground deletion.
    public var reference: Pod.OwnerReference { Pod.OwnerReference(apiVersion: apiVersion, kind: kind, name: metadata.name, uid: metadata.uid) }

    /// `involvedObject` of the events about it.
    public var involvedObject: JSON {
        [
            "apiVersion": .string(apiVersion), "kind": .string(kind), "namespace": .string(metadata.namespace), "name": .string(metadata.name),
            "uid": .string(metadata.uid), "resourceVersion": metadata.resourceVersion.map(JSON.string) ?? .null,
        ]
    }
}

/// How workload controllers create and delete pods (kube-controller-manager's PodControl):
/// through the API under the controller's field manager, with the events `kubectl describe`
/// shows on the owner (SuccessfulCreate, FailedCreate, SuccessfulDelete, FailedDelete).
public struct PodControl: Sendable {
    public let client: any ControllerClient
    public let recorder: EventRecorder
    /// The controller's name, as field manager and event source ("replicaset-controller").
    public let component: String

    public init(client: any ControllerClient, recorder: EventRecorder, component: String) {
        self.client = client
        self.recorder = recorder
        self.component = component
    }

    /// Creates `pod` (from `PodTemplate.pod(owner:…)`) for `owner`; returns it as stored.
    @discardableResult
    public func createPod(_ pod: JSON, for owner: ControllerOwner) async throws -> JSON {
        do {
            let created = try await client.create(.pods, namespace: owner.metadata.namespace, pod, fieldManager: component)
            record(owner, reason: "SuccessfulCreate", message: "Created pod: \(created["metadata"]["name"].string ?? "")")
            return created
        } catch {
            record(owner, type: "Warning", reason: "FailedCreate", message: "Error creating: \(error)")
            throw error
        }
    }

    /// Deletes `pod` (still the one with its UID) for `owner`; a pod already gone is no error.
    public func deletePod(_ pod: Pod, for owner: ControllerOwner) async throws {
        do {
            try await client.delete(.pods, namespace: pod.namespace, name: pod.name, uid: pod.uid)
            record(owner, reason: "SuccessfulDelete", message: "Deleted pod: \(pod.name)")
        } catch let error as APIError where error.code == 404 {
            return
        } catch {
            record(owner, type: "Warning", reason: "FailedDelete", message: "Error deleting: \(error)")
            throw error
        }
    }

    /// Records an event about `owner` (fire and forget).
    public func record(_ owner: ControllerOwner, type: String = "Normal", reason: String, message: String) {
        recorder.record(
            namespace: owner.metadata.namespace,
            EventRecorder.event(involved: owner.involvedObject, type: type, reason: reason, message: message, component: component, host: ""))
    }

    /// Runs `call` `count` times in batches of 1, 2, 4, … (kube-controller-manager's slow start):
    /// a controller whose pods all fail (a quota, a bad image pull secret) learns it from one
    /// request instead of hundreds. Stops after the first batch with a failure; returns how many
    /// calls succeeded and that batch's first error.
    public static func slowStartBatch(
        count: Int, initialBatchSize: Int = 1, _ call: @escaping @Sendable (Int) async throws -> Void
    ) async -> (successes: Int, error: (any Error)?) {
        var done = 0
        var batch = min(count, max(1, initialBatchSize))
        while batch > 0 {
            let first = done
            let results = await withTaskGroup(of: (any Error)?.self) { group in
                for index in first..<(first + batch) {
                    group.addTask {
                        do {
                            try await call(index)
                            return nil
                        } catch { return error }
                    }
                }
                var errors: [any Error] = []
                for await result in group { if let result { errors.append(result) } }
                return errors
            }
            done += batch - results.count
            if let error = results.first { return (done, error) }
            batch = min(2 * batch, count - done)
        }
        return (done, nil)
    }
}
