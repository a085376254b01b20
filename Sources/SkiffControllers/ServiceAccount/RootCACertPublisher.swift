import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffClient

/// kube-controller-manager's root-ca-cert-publisher: every active namespace has a ConfigMap
/// `kube-root-ca.crt` whose `ca.crt` is the cluster CA's certificate, which pods mount to trust
/// the API server. A changed or deleted one is put back. It follows the namespaces and those
/// ConfigMaps alone (a field selector) and writes only through the API.
public struct RootCACertPublisher: Service {
    public static let fieldManager = "root-ca-cert-publisher"
    public static let configMapName = "kube-root-ca.crt"
    static let descriptionAnnotation = "kubernetes.io/description"
    static let description =
        "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."

    struct PublishedConfigMap: KubeObject, Equatable {
        let metadata: ObjectMeta
        let certificate: String?
    }

    let client: any ControllerClient
    let caCertificatePEM: String
    let namespaces: Informer<ObjectMeta>
    let configMaps: Informer<PublishedConfigMap>
    let workers: SyncWorkers

    public init(client: any ControllerClient, caCertificatePEM: String, logger: Logger) {
        self.client = client
        self.caCertificatePEM = caCertificatePEM
        namespaces = Informer(client: client, resourcePath: APIResource.namespaces.collectionPath, logger: logger) { json in
            try ObjectMeta(json: JSONField(json["metadata"], path: "metadata"))
        }
        configMaps = Informer(
            client: client, resourcePath: APIResource.configMaps.collectionPath, query: "fieldSelector=metadata.name%3D\(Self.configMapName)",
            logger: logger
        ) { json in
            PublishedConfigMap(metadata: try ObjectMeta(json: JSONField(json["metadata"], path: "metadata")), certificate: json["data"]["ca.crt"].string)
        }
        let workers = SyncWorkers(name: "root-ca-cert-publisher", workers: 1, logger: logger)
        self.workers = workers
        namespaces.addHandler { change in
            switch change {
            case .added(let namespace), .updated(_, let namespace): workers.enqueue(namespace.name)
            case .deleted: break
            }
        }
        configMaps.addHandler { change in
            switch change {
            case .added(let configMap), .deleted(let configMap), .updated(_, let configMap): workers.enqueue(configMap.metadata.namespace)
            }
        }
    }

    public func run() async {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.namespaces.run() }
                group.addTask { await self.configMaps.run() }
                group.addTask {
                    await self.namespaces.waitForSync()
                    await self.configMaps.waitForSync()
                    await self.workers.run { name in try await self.sync(name) }
                }
            }
        }
    }

    /// Creates or corrects the namespace's `kube-root-ca.crt`.
    func sync(_ namespace: String) async throws {
        guard let current = namespaces.get(namespace), current.deletionTimestamp == nil else { return }
        let key = "\(namespace)/\(Self.configMapName)"
        if let published = configMaps.get(key) {
            guard published.certificate != caCertificatePEM else { return }
            guard var object = try await client.get(.configMaps, namespace: namespace, name: Self.configMapName) else { return }
            object["data"] = ["ca.crt": .string(caCertificatePEM)]
            _ = try await client.update(.configMaps, namespace: namespace, object, fieldManager: Self.fieldManager)
            return
        }
        do {
            _ = try await client.create(
                .configMaps, namespace: namespace,
                [
                    "metadata": [
                        "name": .string(Self.configMapName), "namespace": .string(namespace),
                        "annotations": .object([Self.descriptionAnnotation: .string(Self.description)]),
                    ],
                    "data": ["ca.crt": .string(caCertificatePEM)],
                ], fieldManager: Self.fieldManager)
        } catch let error as APIError where error.code == 409 {
            // Made meanwhile; its own event brings it back here if it differs.
        } catch let error as APIError where error.code == 403 && error.message.contains("being terminated") {
            // The namespace began terminating after the informer saw it.
        }
    }
}
