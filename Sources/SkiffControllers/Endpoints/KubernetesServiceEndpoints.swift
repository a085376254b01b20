import Foundation
import Logging
import ServiceLifecycle
import SkiffAPI

/// The API server's own endpoint reconciler, Kubernetes' "lease" reconciler: the `default/kubernetes`
/// Service has no selector, so nothing else writes its Endpoints and EndpointSlices. Every server
/// (not only the leader) runs one. Once its listener is bound, each `interval` (Kubernetes' 10 s)
/// it renews its own record — a Lease `kube-system/apiserver-<id>` naming its address and port,
/// valid for `ttl` (Kubernetes' 15 s) — and then makes the Service's Endpoints and EndpointSlices
/// name exactly the servers whose records are fresh, so a deleted or edited object comes back and
/// a server that died drops out once its record expires. On graceful shutdown a server deletes
/// its record and writes the objects without itself at once.
public struct KubernetesServiceEndpoints: Service {
    public static let fieldManager = "kube-apiserver"
    /// Kubernetes sets it so the EndpointSlice mirroring controller leaves this Endpoints alone.
    static let skipMirrorLabel = "endpointslice.kubernetes.io/skip-mirror"
    /// Kubernetes' label on the API servers' identity Leases.
    public static let identityLabel = "apiserver.kubernetes.io/identity"
    /// The address and port a server's record names (the Lease spec has no field for them).
    static let addressAnnotation = "skiff.io/advertise-address"
    static let portAnnotation = "skiff.io/advertise-port"
    public static let recordNamespace = "kube-system"

    let client: any ControllerClient
    let address: String
    let port: @Sendable () async -> Int?
    /// This server's record: `apiserver-<id>`, and the identity it holds it as.
    let recordName: String
    let identity: String
    let interval: Duration
    let ttl: Duration
    let now: @Sendable () -> Date
    let logger: Logger

    /// `port` answers the bound port once the listener is up (nil: it never came up). `id` is the
    /// server's own (its data dir's server-id): one record per server, kept across restarts.
    public init(
        client: any ControllerClient, address: String, port: @escaping @Sendable () async -> Int?, id: String, identity: String,
        interval: Duration = .seconds(10), ttl: Duration = .seconds(15), now: @escaping @Sendable () -> Date = { Date() }, logger: Logger
    ) {
        self.client = client
        self.address = address
        self.port = port
        self.recordName = "apiserver-\(id)"
        self.identity = identity
        self.interval = interval
        self.ttl = ttl
        self.now = now
        self.logger = logger
    }

    public func run() async {
        await cancelWhenGracefulShutdown {
            guard let port = await port() else { return }
            while !Task.isCancelled {
                await sync(port: port)
                try? await Task.sleep(for: interval)
            }
        }
        // The caller's task is cancelled: leaving runs in a task of its own.
        await Task { await leave() }.value
    }

    /// One round: renew this server's record, then reconcile the objects to the fresh records.
    func sync(port: Int) async {
        do {
            try await renew(port: port)
            try await reconcile()
        } catch {
            logger.warning("could not write the kubernetes Service's endpoints", metadata: ["error": "\(error)"])
        }
    }

    /// Creates or renews this server's record.
    func renew(port: Int) async throws {
        let seconds = Int64((ttl / .seconds(1)).rounded(.up))
        let current = try await client.get(.leases, namespace: Self.recordNamespace, name: recordName)
        var lease: JSON =
            current ?? [
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": ["name": .string(recordName), "namespace": .string(Self.recordNamespace)],
            ]
        lease["metadata"]["labels"][Self.identityLabel] = "kube-apiserver"
        lease["metadata"]["annotations"][Self.addressAnnotation] = .string(address)
        lease["metadata"]["annotations"][Self.portAnnotation] = .string(String(port))
        lease["spec"]["holderIdentity"] = .string(identity)
        lease["spec"]["leaseDurationSeconds"] = .int(seconds)
        lease["spec"]["renewTime"] = .string(Timestamp.microseconds(now()))
        if current == nil {
            lease["spec"]["acquireTime"] = lease["spec"]["renewTime"]
            _ = try await client.create(.leases, namespace: Self.recordNamespace, lease, fieldManager: Self.fieldManager)
        } else {
            _ = try await client.update(.leases, namespace: Self.recordNamespace, lease, fieldManager: Self.fieldManager)
        }
    }

    /// Deletes this server's record and writes the objects without it, so clients stop being
    /// sent here before the record would have expired.
    func leave() async {
        do {
            if let lease = try await client.get(.leases, namespace: Self.recordNamespace, name: recordName) {
                try await client.delete(
                    .leases, namespace: Self.recordNamespace, name: recordName,
                    options: DeleteOptions(uid: lease["metadata"]["uid"].string))
            }
            try await reconcile()
            logger.info("removed this server from the kubernetes Service's endpoints")
        } catch {
            logger.warning(
                "could not remove this server from the kubernetes Service's endpoints; its record expires by itself", metadata: ["error": "\(error)"])
        }
    }

    /// Makes the Endpoints and EndpointSlices name the servers whose records are fresh, and
    /// deletes the records that expired (with their version as precondition: a server renewing
    /// meanwhile keeps its record).
    func reconcile() async throws {
        let list = try await client.list(APIResource.leases.collectionPath(namespace: Self.recordNamespace) + "?labelSelector=\(Self.identityLabel)")
        let now = now()
        var servers: [APIServerRecord] = []
        for item in list["items"].array ?? [] {
            guard let lease = try? Lease(json: item), lease.metadata.labels[Self.identityLabel] != nil,
                let record = APIServerRecord(lease: lease)
            else { continue }
            if record.isFresh(at: now) {
                servers.append(record)
            } else {
                do {
                    try await client.delete(
                        .leases, namespace: Self.recordNamespace, name: lease.metadata.name,
                        options: DeleteOptions(uid: lease.metadata.uid, resourceVersion: lease.metadata.resourceVersion))
                    logger.info(
                        "an API server's record expired", metadata: ["lease": "\(lease.metadata.name)", "endpoint": "\(record.address):\(record.port)"])
                } catch {
                    logger.debug("expired record not deleted", metadata: ["lease": "\(lease.metadata.name)", "error": "\(error)"])
                }
            }
        }
        try await write(servers: servers)
    }
}
