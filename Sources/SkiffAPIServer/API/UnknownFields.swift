import SkiffAPI

/// Detects (and removes, as typed decoding does) fields the wire format does not define, for
/// `fieldValidation`. Covers the top level, metadata, and containers — where typos are common.
enum UnknownFields {
    static let metadata: Set<String> = [
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers", "managedFields",
    ]

    static let container: Set<String> = [
        "name", "image", "command", "args", "workingDir", "ports", "envFrom", "env", "resources", "resizePolicy", "restartPolicy",
        "volumeMounts", "volumeDevices", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle", "terminationMessagePath",
        "terminationMessagePolicy", "imagePullPolicy", "securityContext", "stdin", "stdinOnce", "tty",
    ]

    static func find(in object: inout JSON, definition: ResourceDefinition) -> [String] {
        var unknown: [String] = []
        for key in (object.object ?? [:]).keys.sorted() where !definition.topLevelFields.contains(key) {
            unknown.append(key)
            object[key] = .null
        }
        for key in (object["metadata"].object ?? [:]).keys.sorted() where !metadata.contains(key) {
            unknown.append("metadata.\(key)")
            object["metadata"][key] = .null
        }
        let podSpecPaths: [[String]] = definition.kind == "Pod" ? [["spec"]] : [["spec", "template", "spec"]]
        for path in podSpecPaths {
            var spec = path.reduce(object) { $0[$1] }
            guard spec.object != nil else { continue }
            for field in ["containers", "initContainers"] {
                guard var containers = spec[field].array else { continue }
                for index in containers.indices {
                    for key in (containers[index].object ?? [:]).keys.sorted() where !container.contains(key) {
                        unknown.append("\(path.joined(separator: ".")).\(field)[\(index)].\(key)")
                        containers[index][key] = .null
                    }
                }
                spec[field] = .array(containers)
            }
            if path.count == 1 { object["spec"] = spec } else { object["spec"]["template"]["spec"] = spec }
        }
        return unknown
    }
}
