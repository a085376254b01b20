import SkiffAPI

/// What the API itself enforces about namespaces; emptying a deleted one is the namespace
/// controller's, which ends by writing the `finalize` subresource.
extension KubeAPI {
    /// The finalizer in `spec.finalizers` that keeps a deleted namespace until the namespace
    /// controller has emptied it.
    public static let namespaceFinalizer = "kubernetes"
    /// Namespaces Kubernetes refuses to delete.
    static let undeletableNamespaces: Set<String> = ["default", "kube-system", "kube-public"]

    /// `PUT namespaces/NAME/finalize`: replaces only `spec.finalizers` (which a plain update keeps
    /// as stored). A `metadata.resourceVersion` in the body must still be current. A namespace
    /// being deleted whose finalizers are all gone is removed; the answer is then the namespace as
    /// it was last.
    func finalize(_ target: Target, _ request: APIRequest) async throws -> APIResponse {
        .json(try await finalizeNamespace(try Self.parseBody(request), name: target.name ?? ""))
    }

    func finalizeNamespace(_ proposed: JSON, name: String) async throws -> JSON {
        let target = Target(definition: CoreResources.namespace, namespace: nil, name: name, subresource: nil)
        let (stored, current) = try await load(target)
        if let version = proposed["metadata"]["resourceVersion"].string, !version.isEmpty, version != String(stored.modRevision) {
            throw APIError.conflict(CoreResources.namespace.naming, name: name)
        }
        if let proposedName = proposed["metadata"]["name"].string, proposedName != name {
            throw APIError.badRequest("the name of the object (\(proposedName)) does not match the name on the URL (\(name))")
        }
        var finalizers: [JSON] = []
        for (index, finalizer) in (proposed["spec"]["finalizers"].array ?? []).enumerated() {
            guard let text = finalizer.string, !text.isEmpty else {
                throw APIError.invalid(kind: "Namespace", name: name, causes: [("spec.finalizers[\(index)]", "Invalid value: must be a non-empty string")])
            }
            finalizers.append(.string(text))
        }
        var next = current
        next["spec"]["finalizers"] = finalizers.isEmpty ? .null : .array(finalizers)
        if next == current { return current }
        return try await writeDirectly(next, target: target, stored: stored) ?? next
    }
}
