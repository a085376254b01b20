/// Kubernetes strategic merge patch (`application/strategic-merge-patch+json`), the format
/// `kubectl apply`, `label`, `annotate` and `edit` send.
///
/// Lists with a merge key (containers by name, container ports by containerPort, service ports by
/// port, ...) merge element-wise; other lists are replaced. Supports `$patch: replace|delete|merge`,
/// `$setElementOrder/<field>`, `$deleteFromPrimitiveList/<field>` and `$retainKeys`.
public enum StrategicMergePatch {
    public static func apply(_ patch: JSON, to original: JSON) throws(PatchError) -> JSON {
        guard case .object(let patchFields) = patch else { throw PatchError("a strategic merge patch must be an object") }
        return .object(try mergeObject(original.object ?? [:], patchFields, path: []) ?? [:])
    }

    /// The merge key of a list field, from the Kubernetes API types' `patchMergeKey` tags.
    public static func mergeKey(field: String, path: [String]) -> String? {
        switch field {
        case "containers", "initContainers", "ephemeralContainers", "volumes", "env", "imagePullSecrets",
            "resourceClaims", "schedulingGates":
            return "name"
        case "volumeMounts": return "mountPath"
        case "volumeDevices": return "devicePath"
        case "conditions", "addresses": return "type"
        case "ownerReferences": return "uid"
        case "hostAliases": return "ip"
        case "topologySpreadConstraints": return "topologyKey"
        case "ports":
            let parent = path.dropLast().last
            if parent == "containers" || parent == "initContainers" || parent == "ephemeralContainers" {
                return "containerPort"
            }
            return "port"
        default: return nil
        }
    }

    /// Primitive lists whose patch strategy is "merge" (set union) rather than replace.
    public static func isMergedPrimitiveList(field: String) -> Bool { field == "finalizers" }

    static func mergeObject(_ original: [String: JSON], _ patch: [String: JSON], path: [String]) throws(PatchError) -> [String: JSON]? {
        switch patch["$patch"]?.string {
        case "replace": return stripDirectives(.object(patch)).object ?? [:]
        case "delete": return nil
        case nil, "merge": break
        case let other?: throw PatchError("unknown patch directive \"\(other)\"")
        }
        var result = original
        if let retain = patch["$retainKeys"]?.array {
            let keep = Set(retain.compactMap(\.string))
            result = result.filter { keep.contains($0.key) }
        }
        var orders: [(String, [JSON])] = []
        for (key, value) in patch {
            if key == "$patch" || key == "$retainKeys" { continue }
            if key.hasPrefix("$setElementOrder/") {
                orders.append((String(key.dropFirst("$setElementOrder/".count)), value.array ?? []))
                continue
            }
            if key.hasPrefix("$deleteFromPrimitiveList/") {
                let field = String(key.dropFirst("$deleteFromPrimitiveList/".count))
                let removals = value.array ?? []
                if let list = result[field]?.array { result[field] = .array(list.filter { !removals.contains($0) }) }
                continue
            }
            if key.hasPrefix("$") { throw PatchError("unknown patch directive \"\(key)\"") }
            if value.isNull {
                result.removeValue(forKey: key)
                continue
            }
            let childPath = path + [key]
            switch (result[key], value) {
            case (.object(let originalChild)?, .object(let patchChild)):
                if let merged = try mergeObject(originalChild, patchChild, path: childPath) {
                    result[key] = .object(merged)
                } else {
                    result.removeValue(forKey: key)
                }
            case (.array(let originalList)?, .array(let patchList)):
                result[key] = .array(try mergeList(originalList, patchList, field: key, path: childPath))
            case (_, .array(let patchList)):
                result[key] = .array(try mergeList([], patchList, field: key, path: childPath))
            case (_, .object(let patchChild)):
                if let merged = try mergeObject([:], patchChild, path: childPath) { result[key] = .object(merged) }
            default:
                result[key] = value
            }
        }
        for (field, order) in orders {
            guard let list = result[field]?.array else { continue }
            result[field] = .array(reorder(list, by: order, mergeKey: mergeKey(field: field, path: path + [field])))
        }
        return result
    }

    static func mergeList(_ original: [JSON], _ patch: [JSON], field: String, path: [String]) throws(PatchError) -> [JSON] {
        if patch.contains(where: { $0["$patch"].string == "replace" }) {
            return patch.filter { $0["$patch"].string != "replace" }.map(stripDirectives)
        }
        guard let key = mergeKey(field: field, path: path) else {
            if isMergedPrimitiveList(field: field) {
                var result = original
                for element in patch where !result.contains(element) { result.append(element) }
                return result
            }
            return patch.map(stripDirectives)
        }
        var result = original
        for element in patch {
            guard case .object(let patchElement) = element else {
                throw PatchError("list \"\(field)\" is merged by \"\(key)\" and needs object elements")
            }
            let keyValue = element[key]
            if patchElement["$patch"]?.string == "delete" {
                result.removeAll { $0[key] == keyValue }
                continue
            }
            if let index = result.firstIndex(where: { $0[key] == keyValue && !keyValue.isNull }) {
                if let merged = try mergeObject(result[index].object ?? [:], patchElement, path: path) {
                    result[index] = .object(merged)
                } else {
                    result.remove(at: index)
                }
            } else if let merged = try mergeObject([:], patchElement, path: path) {
                result.append(.object(merged))
            }
        }
        return result
    }

    /// `$setElementOrder`: listed elements first in the given order, the rest after in their order.
    static func reorder(_ list: [JSON], by order: [JSON], mergeKey: String?) -> [JSON] {
        func identity(_ element: JSON) -> JSON { mergeKey.map { element[$0] } ?? element }
        var remaining = list
        var result: [JSON] = []
        for wanted in order {
            let wantedIdentity = mergeKey.map { wanted[$0] } ?? wanted
            if let index = remaining.firstIndex(where: { identity($0) == wantedIdentity }) {
                result.append(remaining.remove(at: index))
            }
        }
        return result + remaining
    }

    static func stripDirectives(_ value: JSON) -> JSON {
        switch value {
        case .object(let fields):
            var result: [String: JSON] = [:]
            for (key, child) in fields where !key.hasPrefix("$") { result[key] = stripDirectives(child) }
            return .object(result)
        case .array(let elements): return .array(elements.map(stripDirectives))
        default: return value
        }
    }
}
