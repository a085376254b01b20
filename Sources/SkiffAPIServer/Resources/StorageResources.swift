import SkiffAPI

/// core/v1 PersistentVolume and PersistentVolumeClaim, storage.k8s.io/v1 StorageClass. The
/// local-path provisioner and binding come with the storage controllers; here the kinds are
/// stored, defaulted, validated and shown.
enum StorageResources {
    static let accessModes = ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"]

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
