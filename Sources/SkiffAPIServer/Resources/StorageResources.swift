import SkiffAPI

/// core/v1 PersistentVolume and PersistentVolumeClaim, storage.k8s.io/v1 StorageClass. The
/// local-path provisioner and binding come with the storage controllers; here the kinds are
/// stored, defaulted, validated and shown.
enum StorageResources {
    static let accessModes = ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"]
    static let protectionFinalizer = "kubernetes.io/pvc-protection"
    static let defaultClassAnnotation = "storageclass.kubernetes.io/is-default-class"
    static let betaDefaultClassAnnotation = "storageclass.beta.kubernetes.io/is-default-class"

    static let persistentVolume = ResourceDefinition(
        kind: "PersistentVolume", plural: "persistentvolumes", namespaced: false, shortNames: ["pv"], subresources: [.status],
        columns: [
            .text("Capacity") { $0["spec"]["capacity"]["storage"].string ?? "" },
            .text("Access Modes") { abbreviated($0["spec"]["accessModes"]) },
            .text("Reclaim Policy") { $0["spec"]["persistentVolumeReclaimPolicy"].string ?? "" },
            .text("Status") { $0["status"]["phase"].string ?? "" },
            .text("Claim") { volume in
                guard let name = volume["spec"]["claimRef"]["name"].string else { return "" }
                return "\(volume["spec"]["claimRef"]["namespace"].string ?? "")/\(name)"
            },
            .text("StorageClass") { $0["spec"]["storageClassName"].string ?? "" },
            .text("VolumeAttributesClass") { $0["spec"]["volumeAttributesClassName"].string ?? "<unset>" },
            .text("Reason") { $0["status"]["reason"].string ?? "" },
            .age,
            .text("VolumeMode", priority: 1) { $0["spec"]["volumeMode"].string ?? "Filesystem" },
        ],
        defaults: { volume in
            guard volume["spec"].object != nil else { return }
            if volume["spec"]["persistentVolumeReclaimPolicy"].isNull { volume["spec"]["persistentVolumeReclaimPolicy"] = "Retain" }
            if volume["spec"]["volumeMode"].isNull { volume["spec"]["volumeMode"] = "Filesystem" }
            if volume["status"].isNull { volume["status"] = ["phase": "Pending"] }
        },
        validate: { volume, validator in
            let spec = volume["spec"]
            guard spec.object != nil else { return validator.fail("spec", "Required value") }
            if spec["capacity"]["storage"].isNull { validator.fail("spec.capacity", "Required value") }
            validator.quantities(spec["capacity"], "spec.capacity")
            let modes = spec["accessModes"].array ?? []
            if modes.isEmpty { validator.fail("spec.accessModes", "Required value") }
            for mode in modes { validator.string(mode, "spec.accessModes", oneOf: accessModes) }
            validator.string(spec["persistentVolumeReclaimPolicy"], "spec.persistentVolumeReclaimPolicy", oneOf: ["Retain", "Delete", "Recycle"])
            validator.string(spec["volumeMode"], "spec.volumeMode", oneOf: ["Block", "Filesystem"])
            let sources = ["hostPath", "local", "nfs", "csi", "iscsi", "fc", "cephfs", "rbd"].filter { !spec[$0].isNull }
            if sources.count > 1 { validator.fail("spec", "Forbidden: may not specify more than 1 volume type") }
            if !spec["local"].isNull && spec["nodeAffinity"].isNull {
                validator.fail("spec.nodeAffinity", "Required value: Local volume requires node affinity")
            }
        })

    static let persistentVolumeClaim = ResourceDefinition(
        kind: "PersistentVolumeClaim", plural: "persistentvolumeclaims", shortNames: ["pvc"], subresources: [.status],
        columns: [
            .text("Status") { claim in
                claim["metadata"]["deletionTimestamp"].isNull ? claim["status"]["phase"].string ?? "" : "Terminating"
            },
            .text("Volume") { $0["spec"]["volumeName"].string ?? "" },
            .text("Capacity") { claim in
                (claim["spec"]["volumeName"].string ?? "").isEmpty ? "" : claim["status"]["capacity"]["storage"].string ?? ""
            },
            .text("Access Modes") { claim in
                (claim["spec"]["volumeName"].string ?? "").isEmpty ? "" : abbreviated(claim["status"]["accessModes"])
            },
            .text("StorageClass") { $0["spec"]["storageClassName"].string ?? "" },
            .text("VolumeAttributesClass") { $0["spec"]["volumeAttributesClassName"].string ?? "<unset>" },
            .age,
            .text("VolumeMode", priority: 1) { $0["spec"]["volumeMode"].string ?? "Filesystem" },
        ],
        defaults: { claim in
            guard claim["spec"].object != nil else { return }
            if claim["spec"]["volumeMode"].isNull { claim["spec"]["volumeMode"] = "Filesystem" }
            if claim["status"].isNull { claim["status"] = ["phase": "Pending"] }
        },
        validate: { claim, validator in validateClaimSpec(claim["spec"], "spec", &validator) })

    static let storageClass = ResourceDefinition(
        group: "storage.k8s.io", kind: "StorageClass", plural: "storageclasses", namespaced: false, shortNames: ["sc"],
        columns: [
            // kubectl marks the default class in the name cell.
            TableColumn("Name", format: "name") { storageClass in
                let name = storageClass["metadata"]["name"].string ?? ""
                return .string(isDefault(storageClass) ? "\(name) (default)" : name)
            },
            .text("Provisioner") { $0["provisioner"].string ?? "" },
            .text("ReclaimPolicy") { $0["reclaimPolicy"].string ?? "Delete" },
            .text("VolumeBindingMode") { $0["volumeBindingMode"].string ?? "Immediate" },
            .text("AllowVolumeExpansion") { $0["allowVolumeExpansion"].bool == true ? "true" : "false" },
            .age,
        ],
        topLevelFields: ["provisioner", "parameters", "reclaimPolicy", "mountOptions", "allowVolumeExpansion", "volumeBindingMode", "allowedTopologies"],
        leadingNameColumn: false,
        defaults: { storageClass in
            if storageClass["reclaimPolicy"].isNull { storageClass["reclaimPolicy"] = "Delete" }
            if storageClass["volumeBindingMode"].isNull { storageClass["volumeBindingMode"] = "Immediate" }
        },
        validate: { storageClass, validator in
            validator.string(storageClass["provisioner"], "provisioner", required: true)
            if let provisioner = storageClass["provisioner"].string, provisioner.count > 63 || provisioner.contains(" ") {
                validator.fail("provisioner", "Invalid value: \"\(provisioner)\": must be a qualified name of at most 63 characters")
            }
            validator.string(storageClass["reclaimPolicy"], "reclaimPolicy", oneOf: ["Delete", "Retain"])
            validator.string(storageClass["volumeBindingMode"], "volumeBindingMode", oneOf: ["Immediate", "WaitForFirstConsumer"])
            validator.stringMap(storageClass["parameters"], "parameters", labels: false)
        })

    /// The built-in class (k3s ships the same): a directory on the node the pod lands on, bound
    /// once that pod is scheduled.
    static let localPathClass: JSON = [
        "metadata": ["name": "local-path", "annotations": [defaultClassAnnotation: "true"]],
        "provisioner": "skiff.dev/local-path", "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer",
    ]

    static func isDefault(_ storageClass: JSON) -> Bool {
        storageClass["metadata"]["annotations"][defaultClassAnnotation] == "true"
            || storageClass["metadata"]["annotations"][betaDefaultClassAnnotation] == "true"
    }

    /// `RWO,ROX,RWX,RWOP`, as kubectl shows access modes.
    static func abbreviated(_ modes: JSON) -> String {
        let short = ["ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP"]
        let present = Set((modes.array ?? []).compactMap(\.string))
        return accessModes.filter(present.contains).compactMap { short[$0] }.joined(separator: ",")
    }

    /// A claim's spec (a PVC's, or a StatefulSet's volumeClaimTemplates'): access modes and a
    /// storage request are required.
    static func validateClaimSpec(_ spec: JSON, _ path: String, _ validator: inout Validator) {
        guard spec.object != nil else { return validator.fail(path, "Required value") }
        let modes = spec["accessModes"].array ?? []
        if modes.isEmpty { validator.fail("\(path).accessModes", "Required value: at least 1 access mode is required") }
        for mode in modes {
            validator.string(mode, "\(path).accessModes", oneOf: accessModes)
        }
        if modes.count > 1 && modes.contains("ReadWriteOncePod") {
            validator.fail("\(path).accessModes", "Forbidden: may not use ReadWriteOncePod with other access modes")
        }
        let storage = spec["resources"]["requests"]["storage"]
        if storage.isNull {
            validator.fail("\(path).resources[storage]", "Required value")
        } else if let quantity = Quantity(json: storage) {
            if quantity.milliValue <= 0 { validator.fail("\(path).resources[storage]", "Invalid value: \(storage.serialized): must be greater than zero") }
        } else {
            validator.fail(
                "\(path).resources.requests.storage",
                "Invalid value: \(storage.serialized): quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
        }
        validator.quantities(spec["resources"]["limits"], "\(path).resources.limits")
        validator.string(spec["volumeMode"], "\(path).volumeMode", oneOf: ["Block", "Filesystem"])
        if let className = spec["storageClassName"].string, !className.isEmpty, let problem = ObjectNames.subdomainProblem(className) {
            validator.fail("\(path).storageClassName", "Invalid value: \"\(className)\": \(problem)")
        }
        if !spec["selector"].isNull {
            do { _ = try LabelSelector(object: spec["selector"]) } catch { validator.fail("\(path).selector", "Invalid value: \(error.message)") }
        }
    }
}
