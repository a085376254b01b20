import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffClient

/// kube-controller-manager's serviceaccounts controller: every active namespace has a
/// ServiceAccount named `default`; one deleted is made again. It follows the namespaces and the
/// `default` ServiceAccounts (a field selector, as the real controller's informer) and writes
/// only through the API.
public struct ServiceAccountsController: Service {
    public static let fieldManager = "serviceaccounts-controller"
    public static let accountName = "default"

    let client: any ControllerClient
    let namespaces: Informer<ObjectMeta>
    let accounts: Informer<ObjectMeta>
    let workers: SyncWorkers

    public init(client: any ControllerClient, logger: Logger) {
        self.client = client
        namespaces = Informer(client: client, resourcePath: APIResource.namespaces.collectionPath, logger: logger) { json in
            try ObjectMeta(json: JSONField(json["metadata"], path: "metadata"))
        }
        accounts = Informer(
            client: client, resourcePath: APIResource.serviceAccounts.collectionPath, query: "fieldSelector=metadata.name%3D\(Self.accountName)",
            logger: logger
        ) { json in try ObjectMeta(json: JSONField(json["metadata"], path: "metadata")) }
        let workers = SyncWorkers(name: "serviceaccounts controller", workers: 1, logger: logger)
        self.workers = workers
        namespaces.addHandler { change in
            switch change {
            case .added(let namespace), .updated(_, let namespace): workers.enqueue(namespace.name)
            case .deleted: break
            }
        }
        accounts.addHandler { change in
            if case .deleted(let account) = change { workers.enqueue(account.namespace) }
        }
    }

    public func run() async {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.namespaces.run() }
                group.addTask { await self.accounts.run() }
                group.addTask {
                    await self.namespaces.waitForSync()
                    await self.accounts.waitForSync()
                    await self.workers.run { name in try await self.sync(name) }
                }
            }
        }
    }

    /// Creates the namespace's `default` ServiceAccount if the namespace is active and has none.
    func sync(_ namespace: String) async throws {
        guard let current = namespaces.get(namespace), current.deletionTimestamp == nil else { return }
        guard accounts.get("\(namespace)/\(Self.accountName)") == nil else { return }
        do {
            _ = try await client.create(
                .serviceAccounts, namespace: namespace, ["metadata": ["name": .string(Self.accountName), "namespace": .string(namespace)]],
                fieldManager: Self.fieldManager)
        } catch let error as APIError where error.code == 409 {
            // Made meanwhile (or by the API server's bootstrap): nothing to do.
        } catch let error as APIError where error.code == 403 && error.message.contains("being terminated") {
            // The namespace began terminating after the informer saw it.
        }
    }
}
