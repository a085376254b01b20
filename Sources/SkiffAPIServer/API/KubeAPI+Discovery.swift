import SkiffAPI

/// Legacy discovery (APIVersions, APIGroupList, APIResourceList) and aggregated discovery
/// (`apidiscovery.k8s.io/v2` APIGroupDiscoveryList) when the client's Accept asks for it.
extension KubeAPI {
    static let aggregatedType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

    func discoveryRoot(legacy: Bool, _ request: APIRequest) -> APIResponse {
        let groups = registry.groups.filter { legacy ? $0.name.isEmpty : !$0.name.isEmpty }
        if request.accept.contains("g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList") {
            let items: [JSON] = groups.map { group in
                [
                    "metadata": group.name.isEmpty ? ["creationTimestamp": .null] : ["name": .string(group.name), "creationTimestamp": .null],
                    "versions": .array(
                        group.versions.map { version in
                            ["version": .string(version.version), "resources": .array(version.resources.map(aggregatedResource)), "freshness": "Current"]
                        }),
                ]
            }
            return .json(
                ["kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": .emptyObject, "items": .array(items)],
                contentType: Self.aggregatedType)
        }
        if legacy {
            return .json(["kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": ""]]])
        }
        return .json(["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(groups.map(groupJSON))])
    }

    func aggregatedResource(_ definition: ResourceDefinition) -> JSON {
        var resource: JSON = [
            "resource": .string(definition.plural),
            "responseKind": ["group": .string(definition.naming.group), "version": .string(definition.naming.version), "kind": .string(definition.kind)],
            "scope": definition.namespaced ? "Namespaced" : "Cluster",
            "singularResource": .string(definition.singular),
            "verbs": .array(definition.verbs.map { .string($0) }),
        ]
        if !definition.shortNames.isEmpty { resource["shortNames"] = .array(definition.shortNames.map { .string($0) }) }
        if !definition.categories.isEmpty { resource["categories"] = .array(definition.categories.map { .string($0) }) }
        if !definition.subresources.isEmpty {
            resource["subresources"] = .array(
                definition.subresources.map { subresource in
                    let kind = Self.subresourceKind(subresource, definition)
                    return [
                        "subresource": .string(subresource.rawValue),
                        "responseKind": ["group": .string(kind.group), "version": .string(kind.version), "kind": .string(kind.kind)],
                        "verbs": .array(Self.subresourceVerbs(subresource).map { .string($0) }),
                    ]
                })
        }
        return resource
    }

    static func subresourceKind(
        _ subresource: ResourceDefinition.Subresource, _ definition: ResourceDefinition
    ) -> (group: String, version: String, kind: String) {
        switch subresource {
        case .scale: ("autoscaling", "v1", "Scale")
        case .binding: ("", "v1", "Binding")
        case .log: ("", "v1", "Pod")
        case .exec: ("", "v1", "PodExecOptions")
        case .attach: ("", "v1", "PodAttachOptions")
        case .portforward: ("", "v1", "PodPortForwardOptions")
        case .eviction: ("policy", "v1", "Eviction")
        case .token: ("authentication.k8s.io", "v1", "TokenRequest")
        case .status, .finalize: (definition.naming.group, definition.naming.version, definition.kind)
        }
    }

    static func subresourceVerbs(_ subresource: ResourceDefinition.Subresource) -> [String] {
        switch subresource {
        case .status, .scale: ["get", "patch", "update"]
        case .binding, .eviction, .token: ["create"]
        case .finalize: ["update"]
        case .log: ["get"]
        case .exec, .attach, .portforward: ["create", "get"]
        }
    }

    func groupJSON(_ group: (name: String, versions: [(version: String, resources: [ResourceDefinition])])) -> JSON {
        let versions: [JSON] = group.versions.map { ["groupVersion": .string("\(group.name)/\($0.version)"), "version": .string($0.version)] }
        return ["name": .string(group.name), "versions": .array(versions), "preferredVersion": versions.first ?? .null]
    }

    func groupDocument(_ name: String) throws -> APIResponse {
        guard let group = registry.groups.first(where: { $0.name == name && !name.isEmpty }) else { throw Self.pathNotFound }
        var document = groupJSON(group)
        document["kind"] = "APIGroup"
        document["apiVersion"] = "v1"
        return .json(document)
    }

    func resourceList(group: String, version: String) throws -> APIResponse {
        guard let resources = registry.groups.first(where: { $0.name == group })?.versions.first(where: { $0.version == version })?.resources else {
            throw Self.pathNotFound
        }
        var entries: [JSON] = []
        for definition in resources {
            var entry: JSON = [
                "name": .string(definition.plural), "singularName": .string(definition.singular), "namespaced": .bool(definition.namespaced),
                "kind": .string(definition.kind), "verbs": .array(definition.verbs.map { .string($0) }),
            ]
            if !definition.shortNames.isEmpty { entry["shortNames"] = .array(definition.shortNames.map { .string($0) }) }
            if !definition.categories.isEmpty { entry["categories"] = .array(definition.categories.map { .string($0) }) }
            entries.append(entry)
            for subresource in definition.subresources {
                let kind = Self.subresourceKind(subresource, definition)
                var sub: JSON = [
                    "name": .string("\(definition.plural)/\(subresource.rawValue)"), "singularName": "", "namespaced": .bool(definition.namespaced),
                    "kind": .string(kind.kind), "verbs": .array(Self.subresourceVerbs(subresource).map { .string($0) }),
                ]
                // kubectl drain evicts only when pods/eviction names its group and version (else it deletes).
                if subresource == .scale || subresource == .eviction || subresource == .token {
                    sub["group"] = .string(kind.group)
                    sub["version"] = .string(kind.version)
                }
                entries.append(sub)
            }
        }
        let groupVersion = group.isEmpty ? version : "\(group)/\(version)"
        return .json(["kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(groupVersion), "resources": .array(entries)])
    }
}
