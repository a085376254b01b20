import SkiffAPI

/// The objects the `kubernetes` Service's endpoints are: one Endpoints, and one EndpointSlice per
/// port the servers listen on (all of a cluster's servers normally share 6443, so one slice).
extension KubernetesServiceEndpoints {
    static let sliceLabels = [EndpointSlice.serviceNameLabel: "kubernetes", EndpointSlice.managedByLabel: fieldManager]

    /// The servers' addresses grouped by port, ports and addresses sorted, each pair once: the
    /// same objects on every server for the same records, so servers never undo each other.
    static func addressesByPort(_ servers: [APIServerRecord]) -> [(port: Int, addresses: [String])] {
        var byPort: [Int: Set<String>] = [:]
        for server in servers { byPort[server.port, default: []].insert(server.address) }
        return byPort.keys.sorted().map { port in (port, (byPort[port] ?? []).sorted()) }
    }

    /// The first port's slice is `kubernetes` (as Kubernetes names its one slice); another port's is
    /// `kubernetes-<port>`.
    static func sliceName(index: Int, port: Int) -> String { index == 0 ? "kubernetes" : "kubernetes-\(port)" }

    /// Creates or corrects the objects for `servers`; writes nothing when they are right, and
    /// deletes the slices of ports no server listens on any more.
    func write(servers: [APIServerRecord]) async throws {
        let groups = Self.addressesByPort(servers)
        let subsets = groups.map { group in
            EndpointSubset(
                addresses: group.addresses.map { EndpointAddress(ip: $0) }, notReadyAddresses: [],
                ports: [EndpointPort(name: "https", protocol: .tcp, port: Int32(group.port))])
        }
        let endpointsLabels = [Self.skipMirrorLabel: "true"]
        let current = try await client.get(.endpoints, namespace: "default", name: "kubernetes").map { try KubeEndpoints(json: $0) }
        if current?.subsets != subsets || current?.metadata.labels != endpointsLabels {
            var metadata: JSON = ["name": "kubernetes", "namespace": "default", "labels": JSON(stringMap: endpointsLabels)]
            metadata["resourceVersion"] = current?.metadata.resourceVersion.map(JSON.string) ?? .null
            let object: JSON = ["apiVersion": "v1", "kind": "Endpoints", "metadata": metadata, "subsets": subsets.json]
            try await write(.endpoints, object, exists: current != nil)
        }
        var wanted: Set<String> = []
        // No server at all (the last one leaving): the slice stays, empty.
        for (index, group) in (groups.isEmpty ? [(port: 0, addresses: [String]())] : groups).enumerated() {
            let name = Self.sliceName(index: index, port: group.port)
            wanted.insert(name)
            let ports = group.port == 0 ? [] : [EndpointPort(name: "https", protocol: .tcp, port: Int32(group.port))]
            let endpoints = group.addresses.map { Endpoint(addresses: [$0], conditions: EndpointConditions(ready: true, serving: true, terminating: false)) }
            let slice = try await client.get(.endpointSlices, namespace: "default", name: name).map { try EndpointSlice(json: $0) }
            guard slice?.endpoints != endpoints || slice?.ports != ports || slice?.metadata.labels != Self.sliceLabels || slice?.addressType != "IPv4"
            else { continue }
            var metadata: JSON = ["name": .string(name), "namespace": "default", "labels": JSON(stringMap: Self.sliceLabels)]
            metadata["resourceVersion"] = slice?.metadata.resourceVersion.map(JSON.string) ?? .null
            let object: JSON = [
                "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": metadata, "addressType": "IPv4",
                "endpoints": endpoints.json, "ports": ports.json,
            ]
            try await write(.endpointSlices, object, exists: slice != nil)
        }
        let slices = try await client.list(
            APIResource.endpointSlices.collectionPath(namespace: "default") + "?labelSelector=\(EndpointSlice.serviceNameLabel)%3Dkubernetes")
        for item in slices["items"].array ?? [] {
            guard let slice = try? EndpointSlice(json: item), slice.metadata.labels == Self.sliceLabels, slice.metadata.name.hasPrefix("kubernetes-"),
                !wanted.contains(slice.metadata.name)
            else { continue }
            try await client.delete(.endpointSlices, namespace: "default", name: slice.metadata.name, options: DeleteOptions(uid: slice.metadata.uid))
        }
    }

    private func write(_ resource: APIResource, _ object: JSON, exists: Bool) async throws {
        if exists {
            _ = try await client.update(resource, namespace: "default", object, fieldManager: Self.fieldManager)
        } else {
            _ = try await client.create(resource, namespace: "default", object, fieldManager: Self.fieldManager)
        }
    }
}
