import SkiffAPI

/// Kubernetes' ServiceAccount admission for a pod being created: no `serviceAccountName` means
/// `default`; a ServiceAccount that does not exist refuses the pod (403, Kubernetes' message);
/// and unless the pod or its ServiceAccount says `automountServiceAccountToken: false`, a
/// projected volume `kube-api-access-xxxxx` (a bound token, the cluster CA, the namespace) is
/// mounted read-only at `/var/run/secrets/kubernetes.io/serviceaccount` in every container.
extension KubeAPI {
    static let serviceAccountMountPath = "/var/run/secrets/kubernetes.io/serviceaccount"
    /// What kube-apiserver asks for: an hour and seven seconds (the seven tell it from a user's request).
    static let projectedTokenSeconds: Int64 = 3607
    static let rootCAConfigMap = "kube-root-ca.crt"

    func admitServiceAccount(_ pod: inout JSON) async throws {
        // Static pods' mirrors run without the API's help, as in Kubernetes.
        guard pod["metadata"]["annotations"]["kubernetes.io/config.mirror"].isNull else { return }
        let namespace = pod["metadata"]["namespace"].string ?? "default"
        var accountName = pod["spec"]["serviceAccountName"].string ?? ""
        if accountName.isEmpty {
            accountName = pod["spec"]["serviceAccount"].string ?? ""
            if accountName.isEmpty { accountName = "default" }
            pod["spec"]["serviceAccountName"] = .string(accountName)
        }
        let key = CoreResources.serviceAccount.key(namespace: namespace, name: accountName)
        var account = try await boundObjects.entry(key, definition: CoreResources.serviceAccount, self)
        // The `default` ServiceAccount of a namespace made a moment ago is on its way from the
        // controller: kube-apiserver waits for it for a while, up to ten lookups.
        var attempts = accountName == "default" ? 9 : 0
        while account == nil, attempts > 0 {
            attempts -= 1
            try await Task.sleep(for: .milliseconds(Int.random(in: 100...200)))
            guard let stored = try await storeGet(key) else { continue }
            account = BoundObjectCache.Entry(try decode(stored))
        }
        guard let account else {
            let podName = pod["metadata"]["name"].string ?? pod["metadata"]["generateName"].string ?? ""
            throw APIError.forbidden(
                "pods \"\(podName)\" is forbidden: error looking up service account \(namespace)/\(accountName): serviceaccount \"\(accountName)\" not found")
        }
        guard pod["spec"]["automountServiceAccountToken"].bool ?? account.automountToken ?? true else { return }
        Self.mountServiceAccountVolume(&pod)
    }

    /// Adds the projected volume and its mount to every container that has nothing at the path.
    static func mountServiceAccountVolume(_ pod: inout JSON) {
        var volumes = pod["spec"]["volumes"].array ?? []
        let existing = volumes.first { ($0["name"].string ?? "").hasPrefix("kube-api-access-") && !$0["projected"].isNull }
        let name = existing?["name"].string ?? "kube-api-access-\(randomSuffix())"
        var mounted = false
        for field in ["initContainers", "containers"] {
            guard var containers = pod["spec"][field].array else { continue }
            for index in containers.indices {
                var mounts = containers[index]["volumeMounts"].array ?? []
                guard !mounts.contains(where: { $0["mountPath"].string == serviceAccountMountPath }) else { continue }
                mounts.append(["name": .string(name), "readOnly": true, "mountPath": .string(serviceAccountMountPath)])
                containers[index]["volumeMounts"] = .array(mounts)
                mounted = true
            }
            pod["spec"][field] = .array(containers)
        }
        guard mounted, existing == nil else { return }
        volumes.append(projectedVolume(name: name))
        pod["spec"]["volumes"] = .array(volumes)
    }

    static func projectedVolume(name: String) -> JSON {
        [
            "name": .string(name),
            "projected": [
                "defaultMode": 420,
                "sources": [
                    ["serviceAccountToken": ["expirationSeconds": .int(projectedTokenSeconds), "path": "token"]],
                    ["configMap": ["name": .string(rootCAConfigMap), "items": [["key": "ca.crt", "path": "ca.crt"]]]],
                    ["downwardAPI": ["items": [["path": "namespace", "fieldRef": ["apiVersion": "v1", "fieldPath": "metadata.namespace"]]]]],
                ],
            ],
        ]
    }
}
