import Logging
import ServiceLifecycle
import SkiffAPI

/// The API server's own endpoint reconciler: the `default/kubernetes` Service has no selector,
/// so nothing else writes its Endpoints and EndpointSlice. Once the listener is bound, they name
/// the server's address and port, and are checked again every `interval` (Kubernetes' 10 s), so
/// a deleted or edited one comes back.
public struct KubernetesServiceEndpoints: Service {
    public static let fieldManager = "kube-apiserver"
    /// Kubernetes sets it so the EndpointSlice mirroring controller leaves this Endpoints alone.
    static let skipMirrorLabel = "endpointslice.kubernetes.io/skip-mirror"

    let client: any ControllerClient
    let address: String
    let port: @Sendable () async -> Int?
    let interval: Duration
    let logger: Logger

    /// `port` answers the bound port once the listener is up (nil: it never came up).
    public init(client: any ControllerClient, address: String, port: @escaping @Sendable () async -> Int?, interval: Duration = .seconds(10), logger: Logger) {
        self.client = client
        self.address = address
        self.port = port
        self.interval = interval
        self.logger = logger
    }

    public func run() async {
        await cancelWhenGracefulShutdown {
            guard let port = await port() else { return }
            while !Task.isCancelled {
                do {
                    try await reconcile(port: port)
                } catch {
                    logger.warning("could not write the kubernetes Service's endpoints", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// Creates or corrects both objects; writes nothing when they are right.
    func reconcile(port: Int) async throws {
        let servicePort = EndpointPort(name: "https", protocol: .tcp, port: Int32(port))
        let subsets = [EndpointSubset(addresses: [EndpointAddress(ip: address)], notReadyAddresses: [], ports: [servicePort])]
        let endpointsLabels = [Self.skipMirrorLabel: "true"]
        let current = try await client.get(.endpoints, namespace: "default", name: "kubernetes").map { try KubeEndpoints(json: $0) }
        if current?.subsets != subsets || current?.metadata.labels != endpointsLabels {
            var metadata: JSON = ["name": "kubernetes", "namespace": "default", "labels": JSON(stringMap: endpointsLabels)]
            metadata["resourceVersion"] = current?.metadata.resourceVersion.map(JSON.string) ?? .null
            let object: JSON = ["apiVersion": "v1", "kind": "Endpoints", "metadata": metadata, "subsets": subsets.json]
            try await write(.endpoints, object, exists: current != nil)
        }
        let endpoints = [Endpoint(addresses: [address], conditions: EndpointConditions(ready: true, serving: true, terminating: false))]
        let sliceLabels = [EndpointSlice.serviceNameLabel: "kubernetes"]
        let slice = try await client.get(.endpointSlices, namespace: "default", name: "kubernetes").map { try EndpointSlice(json: $0) }
        if slice?.endpoints != endpoints || slice?.ports != [servicePort] || slice?.metadata.labels != sliceLabels || slice?.addressType != "IPv4" {
            var metadata: JSON = ["name": "kubernetes", "namespace": "default", "labels": JSON(stringMap: sliceLabels)]
            metadata["resourceVersion"] = slice?.metadata.resourceVersion.map(JSON.string) ?? .null
            let object: JSON = [
                "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": metadata, "addressType": "IPv4",
                "endpoints": endpoints.json, "ports": [servicePort.json],
            ]
            try await write(.endpointSlices, object, exists: slice != nil)
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
