import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffClient

/// kube-controller-manager's endpoints controller: mirrors every selector Service's pods into
/// the legacy core/v1 Endpoints object of the same name, for clients that predate
/// EndpointSlices. Ready pods go in `addresses`, the others in `notReadyAddresses`; terminating
/// pods are left out unless the Service publishes not-ready addresses. Endpoints of Services
/// without a selector are their users' (and the API server's, for `kubernetes`).
public final class EndpointsController: Service, Sendable {
    /// The field manager its writes are recorded under.
    public static let fieldManager = "endpoint-controller"

    let client: any ControllerClient
    let informers: ServiceInformers
    let logger: Logger
    let workers: SyncWorkers

    public init(client: any ControllerClient, informers: ServiceInformers, logger: Logger) {
        self.client = client
        self.informers = informers
        var logger = logger
        logger[metadataKey: "controller"] = "endpoints"
        self.logger = logger
        workers = SyncWorkers(name: "endpoints controller", workers: 2, logger: logger)
        informers.enqueueServicesOnChange(workers)
        informers.endpoints.addHandler { [workers] change in
            // Someone deleted a Service's Endpoints: put them back. Only deletions, as Kubernetes:
            // a sync of a name with no Service deletes its Endpoints, and Endpoints that users
            // write without a Service are theirs.
            if case .deleted(let endpoints) = change { workers.enqueue(endpoints.key) }
        }
    }

    public func run() async {
        await cancelWhenGracefulShutdown {
            guard await self.informers.waitForSync() else { return }
            await self.workers.run { key in try await self.sync(key) }
        }
    }

    /// Brings the Endpoints of the Service `key` (`namespace/name`) up to date.
    func sync(_ key: String) async throws {
        let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return }
        let (namespace, name) = (parts[0], parts[1])
        let current = informers.endpoints.get(key)
        guard let service = informers.services.get(key) else {
            // The Service is gone (only its deletion, or a deleted Endpoints, enqueue a name
            // without a Service); its Endpoints go with it.
            guard let current else { return }
            do {
                try await client.deleteEndpoints(namespace: namespace, name: name, uid: current.metadata.uid)
            } catch let error as APIError where error.code == 404 || error.code == 409 {
                // Gone already, or replaced by a new object the next event brings.
            }
            return
        }
        guard service.spec.selector != nil, service.spec.type != .externalName else { return }
        let (backends, _) = ServiceBackends.of(service, pods: informers.pods(in: namespace), includeTerminating: service.spec.publishNotReadyAddresses)
        let subsets = EndpointSubsets.of(backends)
        let labels = Self.labels(for: service)
        if let current, current.subsets == subsets, current.metadata.labels == labels { return }
        var metadata: JSON = ["name": .string(name), "namespace": .string(namespace), "labels": JSON(stringMap: labels)]
        if let current {
            metadata["resourceVersion"] = current.metadata.resourceVersion.map(JSON.string) ?? .null
            // Other writers' annotations stay.
            if !current.metadata.annotations.isEmpty { metadata["annotations"] = JSON(stringMap: current.metadata.annotations) }
        }
        let object: JSON = ["apiVersion": "v1", "kind": "Endpoints", "metadata": metadata, "subsets": subsets.json]
        if current == nil {
            _ = try await client.createEndpoints(object, namespace: namespace, fieldManager: Self.fieldManager)
        } else {
            _ = try await client.updateEndpoints(object, namespace: namespace, fieldManager: Self.fieldManager)
        }
    }

    /// The Service's labels, plus `service.kubernetes.io/headless` for headless Services.
    static func labels(for service: KubeService) -> [String: String] {
        var labels = service.metadata.labels
        labels[EndpointSliceController.headlessLabel] = service.spec.isHeadless ? "" : nil
        return labels
    }
}
