/// A volume of the pod: its name and where its files come from. Kinds a node cannot provide
/// decode as `.unsupported` so the pod reports which one instead of failing to decode.
public struct Volume: Sendable, Equatable, JSONDecodable {
    public let name: String
    public let source: Source

    public init(json: JSONField) throws(JSONShapeError) {
        name = try json.required("name")
        if let emptyDir = try json.optional("emptyDir", as: EmptyDir.self) {
            source = .emptyDir(emptyDir)
        } else if let hostPath = try json.optional("hostPath", as: HostPath.self) {
            source = .hostPath(hostPath)
        } else if try json.has("configMap") {
            source = .configMap(try ObjectFiles(json: JSONField(json.value["configMap"], path: json.path + ".configMap"), nameKey: "name"))
        } else if try json.has("secret") {
            source = .secret(try ObjectFiles(json: JSONField(json.value["secret"], path: json.path + ".secret"), nameKey: "secretName"))
        } else if let downward = try json.optional("downwardAPI", as: DownwardAPI.self) {
            source = .downwardAPI(downward)
        } else if let claim = try json.optional("persistentVolumeClaim", as: ClaimSource.self) {
            source = .persistentVolumeClaim(claim)
        } else if let projected = try json.optional("projected", as: Projected.self) {
            source = .projected(projected)
        } else {
            let kinds = try json.fields().keys.filter { $0 != "name" }.sorted()
            source = .unsupported(kind: kinds.first ?? "none")
        }
    }

    public enum Source: Sendable, Equatable {
        case emptyDir(EmptyDir)
        case hostPath(HostPath)
        case configMap(ObjectFiles)
        case secret(ObjectFiles)
        case downwardAPI(DownwardAPI)
        /// The volume bound to a PersistentVolumeClaim in the pod's namespace.
        case persistentVolumeClaim(ClaimSource)
        /// Several sources in one directory: a service-account token, ConfigMap and Secret keys,
        /// pod fields (the `kube-api-access-*` volume every pod gets).
        case projected(Projected)
        /// Another kind (`nfs`, `csi`...), named by its field.
        case unsupported(kind: String)
    }

    /// `persistentVolumeClaim`: which claim, and whether the pod may only read it.
    public struct ClaimSource: Sendable, Equatable, JSONDecodable {
        public let claimName: String
        public let readOnly: Bool

        public init(json: JSONField) throws(JSONShapeError) {
            claimName = try json.required("claimName")
            readOnly = try json.field("readOnly", default: false)
        }
    }

    /// A scratch directory that lives as long as the pod; `Memory` makes it a tmpfs.
    public struct EmptyDir: Sendable, Equatable, JSONDecodable {
        public let medium: String
        public let sizeLimit: Quantity?

        public var inMemory: Bool { medium == "Memory" }

        public init(json: JSONField) throws(JSONShapeError) {
            medium = try json.field("medium", default: "")
            sizeLimit = try json.optional("sizeLimit")
        }
    }

    /// A path on the node, checked (or created) according to `type`.
    public struct HostPath: Sendable, Equatable, JSONDecodable {
        public let path: String
        public let type: Kind

        public init(json: JSONField) throws(JSONShapeError) {
            path = try json.required("path")
            type = try json.choice("type", default: .unchecked)
        }

        public enum Kind: String, Sendable, Equatable {
            case unchecked = ""
            case directoryOrCreate = "DirectoryOrCreate"
            case directory = "Directory"
            case fileOrCreate = "FileOrCreate"
            case file = "File"
            case socket = "Socket"
            case charDevice = "CharDevice"
            case blockDevice = "BlockDevice"
        }
    }

    /// The keys of a ConfigMap or Secret written as files (all of them, or the listed `items`),
    /// mode 0644 unless `defaultMode` says otherwise.
    public struct ObjectFiles: Sendable, Equatable {
        /// The ConfigMap's `name`, or the Secret's `secretName`.
        public let name: String
        public let items: [KeyToPath]?
        public let defaultMode: Int32
        public let optional: Bool

        init(json: JSONField, nameKey: String) throws(JSONShapeError) {
            name = try json.field(nameKey, default: "")
            items = try json.optional("items")
            defaultMode = try json.field("defaultMode", default: 0o644)
            optional = try json.field("optional", default: false)
        }
    }

    /// One key written to `path`, with its own mode if given.
    public struct KeyToPath: Sendable, Equatable, JSONDecodable {
        public let key: String
        public let path: String
        public let mode: Int32?

        public init(json: JSONField) throws(JSONShapeError) {
            key = try json.required("key")
            path = try json.required("path")
            mode = try json.optional("mode")
        }
    }

    /// Pod fields written as files.
    public struct DownwardAPI: Sendable, Equatable, JSONDecodable {
        public let items: [Item]
        public let defaultMode: Int32

        public init(json: JSONField) throws(JSONShapeError) {
            items = try json.field("items", default: [])
            defaultMode = try json.field("defaultMode", default: 0o644)
        }

        /// A file at `path` holding the field at `fieldPath` (nil for resource fields, not supported).
        public struct Item: Sendable, Equatable, JSONDecodable {
            public let path: String
            public let fieldPath: String?
            public let mode: Int32?

            public init(json: JSONField) throws(JSONShapeError) {
                path = try json.required("path")
                fieldPath = try json.optional("fieldRef", as: EnvVar.FieldSelector.self)?.fieldPath
                mode = try json.optional("mode")
            }
        }
    }

    /// `projected`: its sources, each writing files into the one directory.
    public struct Projected: Sendable, Equatable, JSONDecodable {
        public let sources: [ProjectionSource]
        public let defaultMode: Int32

        public init(json: JSONField) throws(JSONShapeError) {
            sources = try json.field("sources", default: [])
            defaultMode = try json.field("defaultMode", default: 0o644)
        }
    }

    public enum ProjectionSource: Sendable, Equatable, JSONDecodable {
        case serviceAccountToken(ServiceAccountToken)
        case configMap(ObjectFiles)
        case secret(ObjectFiles)
        case downwardAPI(DownwardAPI)
        /// Another kind (`clusterTrustBundle`), named by its field.
        case unsupported(kind: String)

        public init(json: JSONField) throws(JSONShapeError) {
            if let token = try json.optional("serviceAccountToken", as: ServiceAccountToken.self) {
                self = .serviceAccountToken(token)
            } else if try json.has("configMap") {
                self = .configMap(try ObjectFiles(json: JSONField(json.value["configMap"], path: json.path + ".configMap"), nameKey: "name"))
            } else if try json.has("secret") {
                self = .secret(try ObjectFiles(json: JSONField(json.value["secret"], path: json.path + ".secret"), nameKey: "name"))
            } else if let downward = try json.optional("downwardAPI", as: DownwardAPI.self) {
                self = .downwardAPI(downward)
            } else {
                self = .unsupported(kind: try json.fields().keys.sorted().first ?? "none")
            }
        }
    }

    /// A token for the pod's ServiceAccount, bound to the pod, written to `path`.
    public struct ServiceAccountToken: Sendable, Equatable, JSONDecodable {
        public let audience: String?
        public let expirationSeconds: Int64
        public let path: String

        public init(json: JSONField) throws(JSONShapeError) {
            audience = try json.optional("audience")
            expirationSeconds = try json.field("expirationSeconds", default: 3600)
            path = try json.required("path")
        }
    }
}
