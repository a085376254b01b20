import SkiffAPI

/// Everything the API server knows about one kind: naming for URLs and discovery, Table columns,
/// defaulting and validation. One table-driven value per kind (see `ResourceRegistry`).
public struct ResourceDefinition: Sendable {
    public enum Subresource: String, Sendable { case status, scale, binding, log, exec, attach, portforward, finalize, eviction, token }

    public let naming: ResourceNaming
    public let singular: String
    public let namespaced: Bool
    public let shortNames: [String]
    public let categories: [String]
    public let subresources: [Subresource]
    /// Kinds with a spec bump `metadata.generation` when it changes.
    public let tracksGeneration: Bool
    /// Names must be DNS-1123 labels (Namespace, Service) rather than subdomains.
    public let nameIsLabel: Bool
    /// Names may be any path segment (RBAC's `system:aggregate-to-view`), not only subdomains.
    public let nameIsPathSegment: Bool
    public let columns: [TableColumn]
    /// Fields besides metadata.name/namespace that `fieldSelector` may use.
    public let selectableFields: [String]
    /// Fields the wire format allows at the top level; others are unknown to `fieldValidation`.
    public let topLevelFields: Set<String>
    /// Verbs other than the standard set are not offered (e.g. metrics are read-only).
    public let readOnly: Bool
    public let defaults: @Sendable (inout JSON) -> Void
    public let validate: @Sendable (JSON, inout Validator) -> Void
    /// Set on a version of a kind that is stored as another version (autoscaling/v1
    /// HorizontalPodAutoscalers are stored as v2): objects are converted on every store read and
    /// write, so each version's clients see their own shape of the same objects.
    public let conversion: VersionConversion?

    public init(
        group: String = "", version: String = "v1", kind: String, plural: String, namespaced: Bool = true,
        shortNames: [String] = [], categories: [String] = [], subresources: [Subresource] = [], tracksGeneration: Bool = false,
        nameIsLabel: Bool = false, nameIsPathSegment: Bool = false, columns: [TableColumn] = [], selectableFields: [String] = [],
        topLevelFields: Set<String> = ["spec", "status"], readOnly: Bool = false, leadingNameColumn: Bool = true,
        defaults: @escaping @Sendable (inout JSON) -> Void = { _ in },
        validate: @escaping @Sendable (JSON, inout Validator) -> Void = { _, _ in }, conversion: VersionConversion? = nil
    ) {
        naming = ResourceNaming(group: group, version: version, kind: kind, plural: plural)
        singular = kind.lowercased()
        self.namespaced = namespaced
        self.shortNames = shortNames
        self.categories = categories
        self.subresources = subresources
        self.tracksGeneration = tracksGeneration
        self.nameIsLabel = nameIsLabel
        self.nameIsPathSegment = nameIsPathSegment
        self.columns = (leadingNameColumn ? [.name] : []) + (columns.isEmpty ? [.age] : columns)
        self.selectableFields = selectableFields
        self.topLevelFields = topLevelFields.union(["apiVersion", "kind", "metadata"])
        self.readOnly = readOnly
        self.defaults = defaults
        self.validate = validate
        self.conversion = conversion
    }

    /// Why `name` is not a valid name of this kind, or nil.
    func nameProblem(_ name: String) -> String? {
        guard nameIsPathSegment, !name.isEmpty else { return nameIsLabel ? ObjectNames.labelProblem(name) : ObjectNames.subdomainProblem(name) }
        if name == "." || name == ".." { return "may not be '\(name)'" }
        if let bad = ["/", "%"].first(where: { name.contains($0) }) { return "may not contain '\(bad)'" }
        return nil
    }

    /// The object as stored (the storage version's shape).
    func toStorage(_ object: JSON) -> JSON { conversion?.toStorage(object) ?? object }

    /// A stored object in this version's shape.
    func fromStorage(_ object: JSON) -> JSON { conversion?.fromStorage(object) ?? object }

    public var plural: String { naming.plural }
    public var kind: String { naming.kind }
    public var hasStatus: Bool { subresources.contains(.status) }

    /// The store key of one object.
    public func key(namespace: String?, name: String) -> String {
        if namespaced, let namespace { return "\(prefix(namespace: nil))\(namespace)/\(name)" }
        return prefix(namespace: nil) + name
    }

    /// The store prefix of all objects of this kind, or of those in one namespace.
    public func prefix(namespace: String?) -> String {
        let base = "/registry/\(naming.group.isEmpty ? "core" : naming.group)/\(naming.plural)/"
        if namespaced, let namespace { return "\(base)\(namespace)/" }
        return base
    }

    public var verbs: [String] {
        readOnly ? ["get", "list"] : ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
    }
}

/// How a served version's objects map to and from the stored version's.
public struct VersionConversion: Sendable {
    public let toStorage: @Sendable (JSON) -> JSON
    public let fromStorage: @Sendable (JSON) -> JSON

    public init(toStorage: @escaping @Sendable (JSON) -> JSON, fromStorage: @escaping @Sendable (JSON) -> JSON) {
        self.toStorage = toStorage
        self.fromStorage = fromStorage
    }
}
