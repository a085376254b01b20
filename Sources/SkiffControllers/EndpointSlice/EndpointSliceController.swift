import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffClient
import Synchronization

/// kube-controller-manager's endpointslice controller: for every Service with a selector, keeps
/// EndpointSlices listing the ready, serving and terminating pods it selects, written through the
/// API. Each sync reads the informers' caches, plans the difference (`SlicePlan`) and writes only
/// that; the next event retries whatever failed. Services without a selector are left to their
/// users; ExternalName Services get no slices.
public final class EndpointSliceController: Service, Sendable {
    /// The `endpointslice.kubernetes.io/managed-by` value: slices with it are this controller's.
    public static let managerName = "endpointslice-controller.k8s.io"
    /// The field manager its writes are recorded under.
    public static let fieldManager = "endpointslice-controller"
    /// Set on slices of headless Services, as Kubernetes does, so proxies can skip them cheaply.
    public static let headlessLabel = "service.kubernetes.io/headless"

    let client: any ControllerClient
    let informers: ServiceInformers
    let logger: Logger
    let maxEndpointsPerSlice: Int
    let workers: SyncWorkers
    /// Writes the informer has not shown yet: syncing before they arrive would make duplicates.
    let expectations = SliceExpectations()
    /// By Service key: the pods and ports already reported for lacking a named port, so the
    /// Warning is posted once while the problem lasts (and only what still lacks it is kept).
    let reportedPorts = Mutex<[String: Set<UnresolvedPort>]>([:])

    public init(client: any ControllerClient, informers: ServiceInformers, logger: Logger, maxEndpointsPerSlice: Int = SlicePlan.defaultMaxEndpoints) {
        self.client = client
        self.informers = informers
        var logger = logger
        logger[metadataKey: "controller"] = "endpointslice"
        self.logger = logger
        self.maxEndpointsPerSlice = maxEndpointsPerSlice
        workers = SyncWorkers(name: "endpointslice controller", workers: 2, logger: logger)
        informers.enqueueServicesOnChange(workers)
        informers.endpointSlices.addHandler { [workers] change in
            // A slice of ours changed or went (our write arriving, or someone else's): recheck.
            switch change {
            case .added(let slice), .deleted(let slice), .updated(_, let slice):
                guard slice.metadata.labels[EndpointSlice.managedByLabel] == Self.managerName, let service = slice.serviceName else { return }
                workers.enqueue("\(slice.metadata.namespace)/\(service)")
            }
        }
    }

    public func run() async {
        await cancelWhenGracefulShutdown {
            guard await self.informers.waitForSync() else { return }
            await self.workers.run { key in try await self.sync(key) }
        }
    }

    /// Brings the slices of the Service `key` (`namespace/name`) up to date.
    func sync(_ key: String) async throws {
        let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return }
        let (namespace, name) = (parts[0], parts[1])
        guard expectations.satisfied(key, in: informers.endpointSlices) else {
            // The slice events that satisfy them enqueue the Service again; this is the backstop.
            workers.queue.add(key, after: .seconds(1))
            return
        }
        let managed = informers.endpointSlices.objects(index: ServiceInformers.byService, value: key).filter {
            $0.metadata.labels[EndpointSlice.managedByLabel] == Self.managerName
        }
        guard let service = informers.services.get(key) else {
            reportedPorts.withLock { $0[key] = nil }
            // Its slices would go with it through the garbage collector; deleting them now is quicker.
            try await delete(managed, service: key)
            return
        }
        // Without a selector, its users write its slices (ours, if any, stay as they were).
        guard service.spec.selector != nil else { return }
        guard service.spec.type != .externalName else {
            try await delete(managed, service: key)
            return
        }
        let owned = managed.filter { slice in slice.metadata.ownerReferences.contains { $0.uid == service.metadata.uid && $0.controller } }
        // Slices of an earlier Service of the same name: not ours to update.
        try await delete(managed.filter { slice in !owned.contains { $0.metadata.name == slice.metadata.name } }, service: key)
        let (backends, unresolved) = ServiceBackends.of(service, pods: informers.pods(in: namespace), includeTerminating: true)
        await reportUnresolved(unresolved, of: service)
        let plan = SlicePlan(existing: owned, backends: backends, labels: labels(for: service), maxEndpoints: maxEndpointsPerSlice)
        if plan.isEmpty { return }
        logger.debug(
            "syncing endpoint slices",
            metadata: [
                "service": "\(namespace)/\(name)", "creates": "\(plan.creates.count)", "updates": "\(plan.updates.count)", "deletes": "\(plan.deletes.count)",
            ])
        for update in plan.updates {
            let stored = try await client.updateEndpointSlice(
                Self.sliceJSON(update.content, service: service, name: update.slice.metadata.name, resourceVersion: update.slice.metadata.resourceVersion),
                namespace: namespace, fieldManager: Self.fieldManager)
            expectations.expect(key, slice: stored["metadata"]["name"].string ?? "", version: stored["metadata"]["resourceVersion"].string)
        }
        for content in plan.creates {
            let stored = try await client.createEndpointSlice(
                Self.sliceJSON(content, service: service, name: nil, resourceVersion: nil), namespace: namespace, fieldManager: Self.fieldManager)
            expectations.expect(key, slice: stored["metadata"]["name"].string ?? "", version: stored["metadata"]["resourceVersion"].string)
        }
        try await delete(plan.deletes, service: key)
    }

    private func delete(_ slices: [EndpointSlice], service key: String) async throws {
        for slice in slices {
            do {
                try await client.deleteEndpointSlice(namespace: slice.metadata.namespace, name: slice.metadata.name, uid: slice.metadata.uid)
            } catch let error as APIError where error.code == 404 {
                // Already gone (the garbage collector, most likely).
            }
            expectations.expect(key, slice: slice.metadata.name, version: nil)
        }
    }

    /// The Service's own labels (kept out of the two the controller owns) plus the controller's.
    func labels(for service: KubeService) -> [String: String] {
        var labels = service.metadata.labels
        labels[Self.headlessLabel] = service.spec.isHeadless ? "" : nil
        labels[EndpointSlice.serviceNameLabel] = service.metadata.name
        labels[EndpointSlice.managedByLabel] = Self.managerName
        return labels
    }

    /// A slice to create (`name` nil: named `<service>-<random>`) or to replace.
    static func sliceJSON(_ content: SliceContent, service: KubeService, name: String?, resourceVersion: String?) -> JSON {
        var metadata: JSON = [
            "namespace": .string(service.metadata.namespace), "labels": JSON(stringMap: content.labels),
            "ownerReferences": [
                [
                    "apiVersion": "v1", "kind": "Service", "name": .string(service.metadata.name), "uid": .string(service.metadata.uid),
                    "controller": true, "blockOwnerDeletion": true,
                ]
            ],
        ]
        if let name { metadata["name"] = .string(name) } else { metadata["generateName"] = .string(service.metadata.name + "-") }
        if let resourceVersion { metadata["resourceVersion"] = .string(resourceVersion) }
        return [
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": metadata, "addressType": "IPv4",
            "endpoints": content.endpoints.json, "ports": content.ports.json,
        ]
    }

    /// A Warning on the Service for each pod that lacks a named target port, once per pod and port.
    private func reportUnresolved(_ unresolved: [UnresolvedPort], of service: KubeService) async {
        let current = Set(unresolved)
        let fresh = reportedPorts.withLock { reported in
            defer { reported[service.key] = current.isEmpty ? nil : current }
            return unresolved.filter { !(reported[service.key] ?? []).contains($0) }
        }
        for port in fresh {
            let message =
                "pod \(port.pod.name) has no container port named \"\(port.targetPort)\" (target of service port \"\(port.servicePort)\"); it is left out of that port's endpoints"
            do {
                try await client.createEvent(namespace: service.metadata.namespace, Self.warning(on: service, reason: "FailedToResolvePort", message: message))
            } catch {
                logger.debug("event not recorded", metadata: ["service": "\(service.key)", "error": "\(error)"])
            }
        }
    }

    static func warning(on service: KubeService, reason: String, message: String) -> JSON {
        let now = Timestamp.now()
        return [
            "apiVersion": "v1", "kind": "Event",
            "metadata": ["generateName": .string("\(service.metadata.name)."), "namespace": .string(service.metadata.namespace)],
            "involvedObject": [
                "kind": "Service", "apiVersion": "v1", "namespace": .string(service.metadata.namespace), "name": .string(service.metadata.name),
                "uid": .string(service.metadata.uid),
            ],
            "reason": .string(reason), "message": .string(message), "type": "Warning",
            "source": ["component": "endpointslice-controller"], "reportingComponent": "endpointslice-controller",
            "firstTimestamp": .string(now), "lastTimestamp": .string(now), "count": 1,
        ]
    }
}
