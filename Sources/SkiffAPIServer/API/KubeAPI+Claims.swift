import SkiffAPI
import SkiffStore

/// What Kubernetes' admission does to a new PersistentVolumeClaim: the `pvc-protection`
/// finalizer (the volume controller lifts it once no pod uses the claim) and, when the claim names
/// no class at all, the default StorageClass. A class that does not exist is accepted, as in
/// Kubernetes: the claim waits, and the volume controller says why in an event.
extension KubeAPI {
    func admitClaim(_ claim: inout JSON) async throws {
        var finalizers = (claim["metadata"]["finalizers"].array ?? []).compactMap(\.string)
        if !finalizers.contains(StorageResources.protectionFinalizer) {
            finalizers.append(StorageResources.protectionFinalizer)
            claim["metadata"]["finalizers"] = .array(finalizers.map(JSON.string))
        }
        // An explicit "" asks for no class (a pre-provisioned volume); only an absent one defaults.
        guard claim["spec"].object != nil, claim["spec"]["storageClassName"].isNull else { return }
        if let name = try await defaultStorageClassName() { claim["spec"]["storageClassName"] = .string(name) }
    }

    /// The default class; with several, the newest (as Kubernetes since 1.28), then by name.
    func defaultStorageClassName() async throws -> String? {
        let listed: ListResult
        do {
            listed = try await store.list(prefix: StorageResources.storageClass.prefix(namespace: nil), startAfter: nil, limit: nil, revision: nil)
        } catch {
            throw Self.map(error, StorageResources.storageClass, name: nil)
        }
        let defaults = try listed.items.map(decode).filter(StorageResources.isDefault)
        let newest = defaults.max { first, second in
            let firstTime = first["metadata"]["creationTimestamp"].string ?? ""
            let secondTime = second["metadata"]["creationTimestamp"].string ?? ""
            if firstTime != secondTime { return firstTime < secondTime }
            return (first["metadata"]["name"].string ?? "") > (second["metadata"]["name"].string ?? "")
        }
        return newest?["metadata"]["name"].string
    }
}
