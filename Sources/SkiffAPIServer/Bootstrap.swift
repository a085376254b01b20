import SkiffAPI
import SkiffStore

/// Objects every cluster starts with: the four system namespaces and their `default`
/// ServiceAccounts, the `kubernetes` Service and the default StorageClass `local-path`.
extension KubeAPI {
    /// Creates the default namespaces and the `kubernetes` Service if they are missing.
    public func bootstrap() async throws { try await Bootstrap.ensureDefaults(self) }
}

enum Bootstrap {
    static func ensureDefaults(_ api: KubeAPI) async throws {
        for namespace in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            let target = KubeAPI.Target(definition: CoreResources.namespace, namespace: nil, name: nil, subresource: nil)
            try await createIfMissing(api, target, ["metadata": ["name": .string(namespace)]])
            // The serviceaccounts controller makes these too; the system namespaces have theirs
            // before any pod is created in them.
            let account = KubeAPI.Target(definition: CoreResources.serviceAccount, namespace: namespace, name: nil, subresource: nil)
            try await createIfMissing(api, account, ["metadata": ["name": "default", "namespace": .string(namespace)]])
        }
        let service = KubeAPI.Target(definition: CoreResources.service, namespace: "default", name: nil, subresource: nil)
        try await createIfMissing(
            api, service,
            [
                "metadata": ["name": "kubernetes", "namespace": "default", "labels": ["component": "apiserver", "provider": "kubernetes"]],
                "spec": ["type": "ClusterIP", "clusterIP": "10.43.0.1", "ports": [["name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443]]],
            ])
        try await ensureStorageClass(api)
        try await BootstrapPolicy.ensure(api)
    }

    /// The default StorageClass `local-path`, unless the cluster has it (or an administrator
    /// deleted the default annotation from it: an existing class is left as it is).
    static func ensureStorageClass(_ api: KubeAPI) async throws {
        let target = KubeAPI.Target(definition: StorageResources.storageClass, namespace: nil, name: nil, subresource: nil)
        try await createIfMissing(api, target, StorageResources.localPathClass)
    }

    static func createIfMissing(_ api: KubeAPI, _ target: KubeAPI.Target, _ object: JSON) async throws {
        do {
            _ = try await api.createObject(object, target: target)
        } catch let error as APIError where error.reason == "AlreadyExists" {
            return
        }
    }
}
