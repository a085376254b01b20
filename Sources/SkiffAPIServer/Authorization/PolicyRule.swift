import SkiffAPI

/// One rule of a Role or ClusterRole: which verbs on which resources (or non-resource URLs)
/// it allows. Matching follows Kubernetes' RBAC: `*` matches anything, `*/scale` any resource's
/// scale subresource, an empty resourceNames any name, and a non-resource URL ending in `*`
/// every path it prefixes.
public struct PolicyRule: Sendable, Equatable {
    public var verbs: [String]
    public var apiGroups: [String]
    public var resources: [String]
    public var resourceNames: [String]
    public var nonResourceURLs: [String]

    public init(
        verbs: [String], apiGroups: [String] = [], resources: [String] = [], resourceNames: [String] = [], nonResourceURLs: [String] = []
    ) {
        self.verbs = verbs
        self.apiGroups = apiGroups
        self.resources = resources
        self.resourceNames = resourceNames
        self.nonResourceURLs = nonResourceURLs
    }

    public init(json: JSON) {
        func strings(_ field: String) -> [String] { json[field].array?.compactMap(\.string) ?? [] }
        self.init(
            verbs: strings("verbs"), apiGroups: strings("apiGroups"), resources: strings("resources"), resourceNames: strings("resourceNames"),
            nonResourceURLs: strings("nonResourceURLs"))
    }

    public var json: JSON {
        var rule: JSON = ["verbs": .array(verbs.map { .string($0) })]
        if !apiGroups.isEmpty || !resources.isEmpty { rule["apiGroups"] = .array(apiGroups.map { .string($0) }) }
        if !resources.isEmpty { rule["resources"] = .array(resources.map { .string($0) }) }
        if !resourceNames.isEmpty { rule["resourceNames"] = .array(resourceNames.map { .string($0) }) }
        if !nonResourceURLs.isEmpty { rule["nonResourceURLs"] = .array(nonResourceURLs.map { .string($0) }) }
        return rule
    }

    public func allows(_ attributes: AuthorizationAttributes) -> Bool {
        guard matchesVerb(attributes.verb) else { return false }
        switch attributes.target {
        case .resource(let group, let resource, let subresource, _, let name):
            return matchesGroup(group) && matchesResource(resource, subresource: subresource) && matchesName(name)
        case .path(let path):
            return matchesPath(path)
        }
    }

    func matchesVerb(_ verb: String) -> Bool { verbs.contains("*") || verbs.contains(verb) }

    func matchesGroup(_ group: String) -> Bool { apiGroups.contains("*") || apiGroups.contains(group) }

    func matchesResource(_ resource: String, subresource: String?) -> Bool {
        let requested = subresource.map { "\(resource)/\($0)" } ?? resource
        for ruleResource in resources {
            if ruleResource == "*" || ruleResource == requested { return true }
            if let subresource, ruleResource == "*/\(subresource)" { return true }
        }
        return false
    }

    /// A rule naming objects allows only requests for one of them: never a list or a create,
    /// whose requests name none.
    func matchesName(_ name: String?) -> Bool {
        guard !resourceNames.isEmpty else { return true }
        guard let name else { return false }
        return resourceNames.contains(name)
    }

    func matchesPath(_ path: String) -> Bool {
        nonResourceURLs.contains { url in
            if url == "*" || url == path { return true }
            return url.hasSuffix("*") && path.hasPrefix(url.dropLast())
        }
    }
}
