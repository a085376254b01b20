import Foundation
import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffAPIServer
import SkiffClient
import SkiffControlPlane
import SkiffControllers
import SkiffStore

/// An in-process API over a SQLite store in a temp dir, with the endpoint controllers (and, when
/// asked, the lifecycle controllers) running on it through the in-process client, as `skiff
/// server` assembles them.
final class ControllerHarness: Sendable {
    static let adminToken = "admin-secret"
    /// What the `kubernetes` Service's endpoints should name.
    static let serverAddress = "192.0.2.10"
    static let serverPort = 6443
    /// What `kube-root-ca.crt` should hold (any text: the publisher copies it).
    static let caCertificatePEM = "-----BEGIN CERTIFICATE-----\ntest\n-----END CERTIFICATE-----\n"
    let directory: String
    let store: SQLiteStore
    let api: KubeAPI
    let controllers: Task<Void, Never>

    private init(directory: String, store: SQLiteStore, api: KubeAPI, controllers: Task<Void, Never>) {
        self.directory = directory
        self.store = store
        self.api = api
        self.controllers = controllers
    }

    /// With `lifecycle`, the garbage collector, namespace controller, pod garbage collector and
    /// node IPAM controller (with the API's pod CIDR tracker) run too; pods on a gone node are
    /// collected after `orphanGrace`.
    static func start(
        lifecycle: Bool = false, terminatedPodThreshold: Int = 12_500, orphanGrace: Duration = .seconds(60),
        clusterCIDR: String = PodCIDRAllocator.defaultClusterCIDR, serviceAccounts: Bool = false
    ) async throws -> ControllerHarness {
        let directory = NSTemporaryDirectory() + "skiff-controllers-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let store = try SQLiteStore(path: directory + "/state.db")
        let api = KubeAPI(
            store: store, authenticator: Authenticator(adminToken: adminToken, joinToken: "join-secret"),
            podCIDRAllocator: try PodCIDRAllocator(clusterCIDR: clusterCIDR))
        try await api.bootstrap()
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let client = InProcessControllerClient(api: api)
        guard let nodeIPAM = NodeIPAMController(client: client, clusterCIDR: clusterCIDR, logger: logger) else {
            throw APIError.badRequest("cluster CIDR \(clusterCIDR) is not a /8 to /24 IPv4 network")
        }
        let informers = ServiceInformers(client: client, logger: logger)
        let nodes = Informer<KubeNode>(client: client, resourcePath: APIResource.nodes.collectionPath, logger: logger) { try KubeNode(json: $0) }
        let services: [any Service] =
            [
                ServiceLBController(client: client, services: informers.services, nodes: nodes, logger: logger),
                EndpointSliceController(client: client, informers: informers, logger: logger),
                EndpointsController(client: client, informers: informers, logger: logger),
                KubernetesServiceEndpoints(
                    client: client, address: serverAddress, port: { serverPort }, id: "test", identity: "test_test", interval: .milliseconds(200),
                    logger: logger),
            ] + informers.runnables + [nodes]
            + (lifecycle
                ? [
                    GarbageCollector(client: client, logger: logger), NamespaceController(client: client, logger: logger, recheckInterval: .milliseconds(100)),
                    PodGCController(
                        client: client, pods: informers.pods, nodes: nodes, logger: logger, terminatedPodThreshold: terminatedPodThreshold,
                        orphanGrace: orphanGrace),
                    PodCIDRTracker(api: api, logger: logger), nodeIPAM,
                ] : [])
            + (serviceAccounts
                ? [
                    ServiceAccountsController(client: client, logger: logger),
                    RootCACertPublisher(client: client, caCertificatePEM: caCertificatePEM, logger: logger),
                ] : [])
        let controllers = Task {
            await withTaskGroup(of: Void.self) { group in
                for service in services { group.addTask { try? await service.run() } }
            }
        }
        return ControllerHarness(directory: directory, store: store, api: api, controllers: controllers)
    }

    deinit {
        controllers.cancel()
        store.closeWatches()
        try? FileManager.default.removeItem(atPath: directory)
    }

    struct Result {
        let status: Int
        let body: JSON
    }

    @discardableResult
    func call(
        _ method: String, _ path: String, _ body: JSON? = nil, query: [String: String] = [:], contentType: String = "application/json"
    ) async throws
        -> Result
    {
        let response = await api.handle(
            APIRequest(
                method: method, path: path, query: query,
                headers: ["authorization": "Bearer \(Self.adminToken)", "content-type": contentType, "accept": "application/json"],
                body: body?.bytes ?? []))
        let bytes = response.bodyBytes
        return Result(status: response.status, body: bytes.isEmpty ? .null : try JSON(parsing: bytes))
    }

    /// Polls `condition` every 20 ms until it holds or `timeout` passes; returns whether it held.
    func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }

    /// Creates a pod bound to `node-1` with a container port named `http`, then reports it
    /// running at `ip` through the status subresource, as its agent would.
    func runPod(_ name: String, ip: String, ready: Bool = true, labels: [String: String] = ["app": "web"], portName: String = "http") async throws {
        let pod: JSON = [
            "metadata": ["name": .string(name), "labels": JSON(stringMap: labels)],
            "spec": [
                "nodeName": "node-1",
                "containers": [["name": "main", "image": "busybox", "ports": [["name": .string(portName), "containerPort": 8080]]]],
            ],
        ]
        let created = try await call("POST", "/api/v1/namespaces/default/pods", pod)
        guard created.status == 201 else { throw APIError.internalError("pod create: \(created.body)") }
        try await setStatus(name, ip: ip, ready: ready)
    }

    func setStatus(_ name: String, ip: String, ready: Bool) async throws {
        let status: JSON = [
            "status": [
                "phase": "Running", "podIP": .string(ip), "podIPs": [["ip": .string(ip)]],
                "conditions": [["type": "Ready", "status": .string(ready ? "True" : "False")]],
            ]
        ]
        let patched = try await call(
            "PATCH", "/api/v1/namespaces/default/pods/\(name)/status", status, contentType: "application/merge-patch+json")
        guard patched.status == 200 else { throw APIError.internalError("pod status: \(patched.body)") }
    }

    /// The managed slices of a Service, read through the API with the label selector kubectl uses.
    func slices(of service: String) async throws -> [JSON] {
        try await call("GET", "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices", query: ["labelSelector": "kubernetes.io/service-name=\(service)"])
            .body["items"].array ?? []
    }

    /// Every endpoint of a Service's slices, by address: [ready, serving, terminating].
    func sliceConditions(of service: String) async throws -> [String: [Bool]] {
        var conditions: [String: [Bool]] = [:]
        for slice in try await slices(of: service) {
            for endpoint in slice["endpoints"].array ?? [] {
                let state = endpoint["conditions"]
                conditions[endpoint["addresses"][0].string ?? ""] = [
                    state["ready"].bool ?? false, state["serving"].bool ?? false, state["terminating"].bool ?? false,
                ]
            }
        }
        return conditions
    }

    /// The Endpoints object's addresses: (ready, not ready), sorted.
    func endpointAddresses(of service: String) async throws -> (ready: [String], notReady: [String])? {
        let result = try await call("GET", "/api/v1/namespaces/default/endpoints/\(service)")
        guard result.status == 200 else { return nil }
        let subsets = result.body["subsets"].array ?? []
        let ready = subsets.flatMap { ($0["addresses"].array ?? []).compactMap { $0["ip"].string } }.sorted()
        let notReady = subsets.flatMap { ($0["notReadyAddresses"].array ?? []).compactMap { $0["ip"].string } }.sorted()
        return (ready, notReady)
    }
}
