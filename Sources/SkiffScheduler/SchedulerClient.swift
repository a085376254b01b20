import SkiffAPI
import SkiffClient

/// The API operations the scheduler uses, behind a seam so it can run in-process against the
/// API server or against a fake in tests.
public protocol SchedulerClient: EventWriter {
    /// All pods or nodes, and the resourceVersion to watch from.
    func list(_ resource: ScheduledResource) async throws -> (items: [JSON], resourceVersion: String)
    /// Watch events (`type`, `object`) after `resourceVersion`; the stream ends if the watch does.
    func watch(_ resource: ScheduledResource, from resourceVersion: String) async throws -> AsyncStream<(type: String, object: JSON)>
    /// POSTs a Binding for the pod.
    func bind(namespace: String, name: String, uid: String, node: String) async throws
    /// The object at an API path (a claim, a volume, a storage class), or nil when there is none.
    func get(_ path: String) async throws -> JSON?
    /// Annotates a claim whose class binds at first use with the node its pod is going to, so
    /// the provisioner makes the volume there (`volume.kubernetes.io/selected-node`).
    func selectNode(_ node: String, forClaim name: String, namespace: String) async throws
}

public enum ScheduledResource: Sendable {
    case pods, nodes
}
