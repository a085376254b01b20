import SkiffAPI

/// A minimal `/openapi/v3`: one document per group-version listing each kind's paths, with the
/// `x-kubernetes-group-version-kind` extension and the `fieldValidation` query parameter. That is
/// what kubectl checks before it relies on server-side field validation (so `apply` works with
/// default validation). Schemas are not published, so kubectl computes apply patches from its
/// compiled-in types.
extension KubeAPI {
    func openAPI(segments: [String]) throws -> APIResponse {
        guard segments.first == "v3" else { throw Self.pathNotFound }
        let versions = registry.groups.flatMap { group in group.versions.map { (group.name, $0.version, $0.resources) } }
        if segments.count == 1 {
            var paths = JSON.emptyObject
            for (group, version, _) in versions {
                let path = group.isEmpty ? "api/\(version)" : "apis/\(group)/\(version)"
                paths[path] = ["serverRelativeURL": .string("/openapi/v3/\(path)?hash=\(Self.openAPIHash)")]
            }
            return .json(["paths": paths])
        }
        let requested = segments.dropFirst().joined(separator: "/")
        guard let (group, version, resources) = versions.first(where: { ($0.0.isEmpty ? "api/\($0.1)" : "apis/\($0.0)/\($0.1)") == requested }) else {
            throw Self.pathNotFound
        }
        var paths = JSON.emptyObject
        let base = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        for definition in resources {
            let gvk: JSON = ["group": .string(group), "version": .string(version), "kind": .string(definition.kind)]
            let parameters: JSON = [
                ["name": "fieldValidation", "in": "query", "schema": ["type": "string"], "uniqueItems": true],
                ["name": "dryRun", "in": "query", "schema": ["type": "string"], "uniqueItems": true],
            ]
            let collection = definition.namespaced ? "\(base)/namespaces/{namespace}/\(definition.plural)" : "\(base)/\(definition.plural)"
            let operation: JSON = [
                "x-kubernetes-group-version-kind": gvk, "parameters": parameters,
                "responses": ["200": ["description": "OK"]],
            ]
            var item: JSON = ["get": operation]
            var list: JSON = ["get": operation]
            if !definition.readOnly {
                item["put"] = operation
                item["patch"] = operation
                item["delete"] = operation
                list["post"] = operation
            }
            paths[collection] = list
            paths["\(collection)/{name}"] = item
        }
        return .json([
            "openapi": "3.0.0", "info": ["title": "Kubernetes", "version": "v1.32.0-skiff"],
            "paths": paths, "components": ["schemas": .emptyObject],
        ])
    }

    static let openAPIHash = "skiff-v1"
}
