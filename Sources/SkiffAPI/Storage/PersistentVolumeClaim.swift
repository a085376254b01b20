/// A core/v1 PersistentVolumeClaim as the binder, the scheduler and the agent read it.
public struct PersistentVolumeClaim: KubeObject, Equatable {
    /// Set by the scheduler on a claim whose class binds at first use: the node the pod went to,
    /// where the provisioner makes the volume.
    public static let selectedNodeAnnotation = "volume.kubernetes.io/selected-node"
    /// Set by the binder on a claim it provisions for: which provisioner should.
    public static let provisionerAnnotation = "volume.kubernetes.io/storage-provisioner"
    /// Keeps a claim in use from disappearing under its pods.
    public static let protectionFinalizer = "kubernetes.io/pvc-protection"

    public let metadata: ObjectMeta
    public let storageClassName: String?
    /// The volume it is bound to (or pre-bound to by its author).
    public let volumeName: String?
    public let accessModes: [String]
    public let requestedStorage: Quantity?
    public let selector: LabelSelector?
    /// Pending, Bound or Lost.
    public let phase: String
    public let json: JSON

    public init(json: JSON) throws(JSONShapeError) {
        self.json = json
        let root = JSONField(json)
        metadata = try root.field("metadata", default: ObjectMeta.empty)
        let spec = JSONField(try root.field("spec", default: JSON.emptyObject), path: "spec")
        storageClassName = try spec.optional("storageClassName")
        let volume: String? = try spec.optional("volumeName")
        volumeName = volume?.isEmpty == true ? nil : volume
        accessModes = try spec.field("accessModes", default: [])
        requestedStorage = Quantity(json: json["spec"]["resources"]["requests"]["storage"])
        selector = json["spec"]["selector"].isNull ? nil : try? LabelSelector(object: json["spec"]["selector"])
        phase = json["status"]["phase"].string ?? "Pending"
    }

    public var key: String { metadata.key }
    public var isBound: Bool { phase == "Bound" && volumeName != nil }
    public var selectedNode: String? { metadata.annotations[Self.selectedNodeAnnotation] }
}

/// A core/v1 PersistentVolume: a directory (hostPath or local) on one node, or any other source
/// the agent cannot mount.
public struct PersistentVolume: KubeObject, Equatable {
    public let metadata: ObjectMeta
    public let capacity: Quantity?
    public let accessModes: [String]
    public let storageClassName: String
    /// `Retain`, `Delete` or `Recycle`.
    public let reclaimPolicy: String
    /// The claim it is bound to: namespace, name and uid.
    public let claimRef: ClaimReference?
    /// The directory holding the data, for hostPath and local volumes.
    public let path: String?
    /// `spec.nodeAffinity.required.nodeSelectorTerms`, ORed; empty means any node.
    public let nodeSelectorTerms: [JSON]
    /// Available, Bound, Released or Failed.
    public let phase: String
    public let json: JSON

    public struct ClaimReference: Sendable, Equatable {
        public let namespace: String
        public let name: String
        public let uid: String?
    }

    public init(json: JSON) throws(JSONShapeError) {
        self.json = json
        let root = JSONField(json)
        metadata = try root.field("metadata", default: ObjectMeta.empty)
        let spec = json["spec"]
        capacity = Quantity(json: spec["capacity"]["storage"])
        accessModes = spec["accessModes"].array?.compactMap(\.string) ?? []
        storageClassName = spec["storageClassName"].string ?? ""
        reclaimPolicy = spec["persistentVolumeReclaimPolicy"].string ?? "Retain"
        if let name = spec["claimRef"]["name"].string {
            claimRef = ClaimReference(namespace: spec["claimRef"]["namespace"].string ?? "default", name: name, uid: spec["claimRef"]["uid"].string)
        } else {
            claimRef = nil
        }
        path = spec["hostPath"]["path"].string ?? spec["local"]["path"].string
        nodeSelectorTerms = spec["nodeAffinity"]["required"]["nodeSelectorTerms"].array ?? []
        phase = json["status"]["phase"].string ?? "Pending"
    }

    public var name: String { metadata.name }
}

/// A storage.k8s.io/v1 StorageClass.
public struct StorageClass: KubeObject, Equatable {
    public static let defaultClassAnnotation = "storageclass.kubernetes.io/is-default-class"

    public let metadata: ObjectMeta
    public let provisioner: String
    /// `Immediate` or `WaitForFirstConsumer`.
    public let volumeBindingMode: String
    public let reclaimPolicy: String
    public let parameters: [String: String]

    public init(json: JSON) throws(JSONShapeError) {
        let root = JSONField(json)
        metadata = try root.field("metadata", default: ObjectMeta.empty)
        provisioner = try root.field("provisioner", default: "")
        volumeBindingMode = try root.field("volumeBindingMode", default: "Immediate")
        reclaimPolicy = try root.field("reclaimPolicy", default: "Delete")
        parameters = try root.field("parameters", default: [:])
    }

    public var isDefault: Bool { metadata.annotations[Self.defaultClassAnnotation] == "true" }
    public var waitsForFirstConsumer: Bool { volumeBindingMode == "WaitForFirstConsumer" }
}
