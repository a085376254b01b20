import SkiffAPI

/// Server-side apply's field ownership: which manager set which field, kept in
/// `metadata.managedFields` as Kubernetes' `FieldsV1` (`f:<field>`, `k:<merge key JSON>` for keyed
/// list items, `v:<JSON>` for set-like primitive lists, `.` for a list item itself).
///
/// A path is a list of those tokens. Only leaves and list items are recorded, as in Kubernetes.
enum FieldOwnership {
    typealias Path = [String]

    /// Metadata Kubernetes tracks; the rest of metadata (name, uid, …) is the server's.
    static let trackedMetadata: Set<String> = ["labels", "annotations", "ownerReferences", "finalizers"]

    /// The fields an object (or an applied configuration) sets, excluding type, identity and status.
    static func fields(of object: JSON) -> Set<Path> {
        var result: Set<Path> = []
        for (key, value) in object.object ?? [:] {
            switch key {
            case "apiVersion", "kind", "status": continue
            case "metadata":
                for (field, child) in value.object ?? [:] where trackedMetadata.contains(field) {
                    collect(child, at: ["f:metadata", "f:\(field)"], field: field, path: ["metadata", field], into: &result)
                }
            default: collect(value, at: ["f:\(key)"], field: key, path: [key], into: &result)
            }
        }
        return result
    }

    private static func collect(_ value: JSON, at tokens: Path, field: String, path: [String], into result: inout Set<Path>) {
        switch value {
        case .object(let fields) where !fields.isEmpty:
            for (key, child) in fields { collect(child, at: tokens + ["f:\(key)"], field: key, path: path + [key], into: &result) }
        case .array(let items) where !items.isEmpty:
            if let mergeKey = StrategicMergePatch.mergeKey(field: field, path: path), items.allSatisfy({ !$0[mergeKey].isNull }) {
                for item in items {
                    let itemTokens = tokens + [keyToken(item, mergeKey: mergeKey, field: field)]
                    result.insert(itemTokens + ["."])
                    for (key, child) in item.object ?? [:] {
                        collect(child, at: itemTokens + ["f:\(key)"], field: key, path: path + [field, key], into: &result)
                    }
                }
            } else if StrategicMergePatch.isMergedPrimitiveList(field: field) {
                for item in items { result.insert(tokens + ["v:" + String(decoding: item.bytes, as: UTF8.self)]) }
            } else {
                result.insert(tokens)  // an atomic list is one field
            }
        default: result.insert(tokens)
        }
    }

    /// `k:{"containerPort":80,"protocol":"TCP"}` — container ports are keyed by port and protocol.
    private static func keyToken(_ item: JSON, mergeKey: String, field: String) -> String {
        var key: JSON = [mergeKey: item[mergeKey]]
        if field == "ports", mergeKey == "containerPort" { key["protocol"] = item["protocol"].isNull ? "TCP" : item["protocol"] }
        return "k:" + String(decoding: key.bytes, as: UTF8.self)
    }

    /// The value at a path, or nil when absent.
    static func value(at path: Path, in object: JSON) -> JSON? {
        var current = object
        for token in path {
            if token == "." { return current }
            if token.hasPrefix("f:") {
                let child = current[String(token.dropFirst(2))]
                if child.isNull { return nil }
                current = child
            } else if token.hasPrefix("k:") || token.hasPrefix("v:") {
                guard let index = index(of: token, in: current.array ?? []) else { return nil }
                current = current.array?[index] ?? .null
            } else {
                return nil
            }
        }
        return current
    }

    private static func index(of token: String, in items: [JSON]) -> Int? {
        guard let wanted = try? JSON(parsing: Array(token.dropFirst(2).utf8)) else { return nil }
        if token.hasPrefix("v:") { return items.firstIndex(of: wanted) }
        return items.firstIndex { item in
            (wanted.object ?? [:]).allSatisfy { key, value in
                item[key] == value || (key == "protocol" && item[key].isNull && value == "TCP")
            }
        }
    }

    /// Removes the field (or list item) at a path; parents left empty stay.
    static func remove(_ path: Path, from object: inout JSON) {
        let path = path.last == "." ? Array(path.dropLast()) : path
        guard let last = path.last else { return }
        object = removing(last, under: Array(path.dropLast()), in: object)
    }

    private static func removing(_ last: String, under path: Path, in object: JSON) -> JSON {
        guard let first = path.first else {
            if last.hasPrefix("f:") {
                var copy = object
                copy[String(last.dropFirst(2))] = .null
                return copy
            }
            guard var items = object.array, let index = index(of: last, in: items) else { return object }
            items.remove(at: index)
            return .array(items)
        }
        let rest = Array(path.dropFirst())
        if first.hasPrefix("f:") {
            let key = String(first.dropFirst(2))
            guard !object[key].isNull else { return object }
            var copy = object
            copy[key] = removing(last, under: rest, in: object[key])
            return copy
        }
        guard var items = object.array, let index = index(of: first, in: items) else { return object }
        items[index] = removing(last, under: rest, in: items[index])
        return .array(items)
    }

    // MARK: FieldsV1

    static func encode(_ paths: Set<Path>) -> JSON {
        tree(paths.map { $0[...] })
    }

    /// Groups the paths by their first token, level by level: each object is built once (every
    /// write encodes its managedFields, so this is on the API's hot path).
    private static func tree(_ paths: [ArraySlice<String>]) -> JSON {
        var children: [String: [ArraySlice<String>]] = [:]
        for path in paths {
            guard let first = path.first else { continue }
            children[first, default: []].append(path.dropFirst())
        }
        return .object(children.mapValues(tree))
    }

    static func decode(_ fieldsV1: JSON) -> Set<Path> {
        var result: Set<Path> = []
        walk(fieldsV1, prefix: [], into: &result)
        return result
    }

    private static func walk(_ tree: JSON, prefix: Path, into result: inout Set<Path>) {
        let children = tree.object ?? [:]
        if children.isEmpty {
            if !prefix.isEmpty { result.insert(prefix) }
            return
        }
        for (token, child) in children { walk(child, prefix: prefix + [token], into: &result) }
    }

    // MARK: managedFields entries

    /// One `managedFields` entry.
    struct Entry {
        var manager: String
        var operation: String
        var apiVersion: String
        var time: String
        var subresource: String?
        var fields: Set<Path>

        init(manager: String, operation: String, apiVersion: String, time: String, subresource: String? = nil, fields: Set<Path>) {
            self.manager = manager
            self.operation = operation
            self.apiVersion = apiVersion
            self.time = time
            self.subresource = subresource
            self.fields = fields
        }

        init(_ json: JSON) {
            manager = json["manager"].string ?? ""
            operation = json["operation"].string ?? "Update"
            apiVersion = json["apiVersion"].string ?? ""
            time = json["time"].string ?? ""
            subresource = json["subresource"].string
            fields = FieldOwnership.decode(json["fieldsV1"])
        }

        var json: JSON {
            Self.json(
                manager: manager, operation: operation, apiVersion: apiVersion, time: time, subresource: subresource, fieldsV1: FieldOwnership.encode(fields))
        }

        /// The wire form of an entry whose FieldsV1 tree is already built.
        static func json(manager: String, operation: String, apiVersion: String, time: String, subresource: String?, fieldsV1: JSON) -> JSON {
            var entry: JSON = [
                "manager": .string(manager), "operation": .string(operation), "apiVersion": .string(apiVersion),
                "time": .string(time), "fieldsType": "FieldsV1", "fieldsV1": fieldsV1,
            ]
            if let subresource { entry["subresource"] = .string(subresource) }
            return entry
        }
    }

    static func entries(of object: JSON) -> [Entry] {
        (object["metadata"]["managedFields"].array ?? []).map(Entry.init)
    }

    static func store(_ entries: [Entry], in object: inout JSON) {
        let kept = entries.filter { !$0.fields.isEmpty }
        object["metadata"]["managedFields"] = kept.isEmpty ? .null : .array(kept.map(\.json))
    }

    /// The FieldsV1 tree of `fields(of:)`, built straight from the object: a create owns every
    /// field it sets, so the path set (and hashing every path) is not needed.
    static func fieldsTree(of object: JSON) -> JSON {
        var tree: [String: JSON] = [:]
        for (key, value) in object.object ?? [:] {
            switch key {
            case "apiVersion", "kind", "status": continue
            case "metadata":
                var metadata: [String: JSON] = [:]
                for (field, child) in value.object ?? [:] where trackedMetadata.contains(field) {
                    metadata["f:\(field)"] = subtree(child, field: field, path: ["metadata", field])
                }
                if !metadata.isEmpty { tree["f:metadata"] = .object(metadata) }
            default: tree["f:\(key)"] = subtree(value, field: key, path: [key])
            }
        }
        return .object(tree)
    }

    /// `collect`'s paths below one field, as a tree; a leaf is `{}`.
    private static func subtree(_ value: JSON, field: String, path: [String]) -> JSON {
        switch value {
        case .object(let fields) where !fields.isEmpty:
            var tree: [String: JSON] = [:]
            for (key, child) in fields { tree["f:\(key)"] = subtree(child, field: key, path: path + [key]) }
            return .object(tree)
        case .array(let items) where !items.isEmpty:
            var tree: [String: JSON] = [:]
            if let mergeKey = StrategicMergePatch.mergeKey(field: field, path: path), items.allSatisfy({ !$0[mergeKey].isNull }) {
                for item in items {
                    var itemTree: [String: JSON] = [".": .emptyObject]
                    for (key, child) in item.object ?? [:] {
                        itemTree["f:\(key)"] = subtree(child, field: key, path: path + [field, key])
                    }
                    let token = keyToken(item, mergeKey: mergeKey, field: field)
                    // Items with the same key (invalid, but stored) own the union of their fields.
                    tree[token] = tree[token].map { union($0, .object(itemTree)) } ?? .object(itemTree)
                }
            } else if StrategicMergePatch.isMergedPrimitiveList(field: field) {
                for item in items { tree["v:" + String(decoding: item.bytes, as: UTF8.self)] = .emptyObject }
            }
            return .object(tree)  // an atomic list is one field: a leaf
        default: return .emptyObject
        }
    }

    private static func union(_ left: JSON, _ right: JSON) -> JSON {
        guard let leftFields = left.object, let rightFields = right.object else { return left }
        return .object(leftFields.merging(rightFields) { union($0, $1) })
    }

    /// A non-apply write by `manager`: it owns every field it changed, which no one else owns any more.
    static func recordUpdate(manager: String, before: JSON?, after: inout JSON) {
        if before == nil && after["metadata"]["managedFields"].isNull {
            let tree = fieldsTree(of: after)
            let entry = Entry.json(
                manager: manager, operation: "Update", apiVersion: after["apiVersion"].string ?? "", time: Timestamp.now(), subresource: nil, fieldsV1: tree)
            after["metadata"]["managedFields"] = tree.object?.isEmpty == false ? [entry] : .null
            return
        }
        let previous = before.map(fields(of:)) ?? []
        let now = fields(of: after)
        let changed = now.filter { path in
            !previous.contains(path) || value(at: path, in: before ?? .null) != value(at: path, in: after)
        }
        // managedFields the client changed itself are taken as the new ownership (Kubernetes'
        // reset; kubectl's client-side → server-side apply migration relies on it).
        let requested = after["metadata"]["managedFields"]
        let reset = !requested.isNull && requested != (before?["metadata"]["managedFields"] ?? .null)
        var entries = reset ? entries(of: after) : (before.map(entries(of:)) ?? [])
        // Fields that no longer exist are no one's.
        for index in entries.indices { entries[index].fields.formIntersection(now) }
        if !changed.isEmpty {
            for index in entries.indices { entries[index].fields.subtract(changed) }
            let apiVersion = after["apiVersion"].string ?? ""
            if let mine = entries.firstIndex(where: { $0.manager == manager && $0.operation == "Update" && $0.subresource == nil }) {
                entries[mine].fields.formUnion(changed)
                entries[mine].time = Timestamp.now()
                entries[mine].apiVersion = apiVersion
            } else {
                entries.append(Entry(manager: manager, operation: "Update", apiVersion: apiVersion, time: Timestamp.now(), fields: changed))
            }
        }
        store(entries, in: &after)
    }

    /// A field another manager owns with a different value than the applied one.
    struct Conflict {
        let manager: String
        let apiVersion: String
        let path: Path

        /// `.spec.replicas`, `.spec.containers[name="web"].image`, as Kubernetes prints them.
        var field: String {
            path.filter { $0 != "." }.map { token -> String in
                if token.hasPrefix("f:") { return "." + token.dropFirst(2) }
                let body = token.dropFirst(2)
                if token.hasPrefix("k:"), let key = try? JSON(parsing: Array(body.utf8)), let fields = key.object {
                    return "[" + fields.keys.sorted().map { "\($0)=\(String(decoding: (fields[$0] ?? .null).bytes, as: UTF8.self))" }.joined(separator: ",")
                        + "]"
                }
                return "[\(body)]"
            }.joined()
        }
    }

    /// Server-side apply of `applied` by `manager` over `live` (already merged into `merged`):
    /// conflicts unless `force`, ownership moves, and fields the manager applied before but no longer
    /// does are removed when no one else owns them.
    static func apply(manager: String, applied: JSON, live: JSON, merged: inout JSON, force: Bool) throws(APIError) {
        let appliedFields = fields(of: applied)
        var entries = entries(of: live)
        let mineIndex = entries.firstIndex { $0.manager == manager && $0.operation == "Apply" }
        var conflicts: [Conflict] = []
        for (index, entry) in entries.enumerated() where index != mineIndex {
            for path in entry.fields.intersection(appliedFields) where path.last != "." {
                if value(at: path, in: applied) != value(at: path, in: live) {
                    conflicts.append(Conflict(manager: entry.manager, apiVersion: entry.apiVersion, path: path))
                }
            }
        }
        if !conflicts.isEmpty && !force && !upgradesClientSideApply(conflicts, live: live) { throw conflictError(conflicts) }
        let taken = Set(conflicts.map(\.path))
        for index in entries.indices where index != mineIndex { entries[index].fields.subtract(taken) }
        let previous = mineIndex.map { entries[$0].fields } ?? []
        let others = entries.indices.filter { $0 != mineIndex }.reduce(into: Set<Path>()) { $0.formUnion(entries[$1].fields) }
        // Longest first, so list items go after their own fields.
        for path in previous.subtracting(appliedFields).subtracting(others).sorted(by: { $0.count > $1.count }) {
            remove(path, from: &merged)
        }
        let entry = Entry(
            manager: manager, operation: "Apply", apiVersion: applied["apiVersion"].string ?? live["apiVersion"].string ?? "",
            time: Timestamp.now(), fields: appliedFields)
        if let mineIndex { entries[mineIndex] = entry } else { entries.append(entry) }
        store(entries, in: &merged)
    }

    /// kubectl's client-side apply managers; the first server-side apply may take over their fields.
    static let clientSideApplyManagers: Set<String> = ["kubectl-client-side-apply", "before-first-apply"]

    /// Kubernetes' lastAppliedManager: conflicts only with client-side apply, on fields its
    /// last-applied-configuration annotation holds, are the switch to server-side apply, not conflicts.
    static func upgradesClientSideApply(_ conflicts: [Conflict], live: JSON) -> Bool {
        guard let annotation = live["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"].string,
            let lastApplied = try? JSON(parsing: Array(annotation.utf8))
        else { return false }
        let lastAppliedFields = fields(of: lastApplied)
        return conflicts.allSatisfy { clientSideApplyManagers.contains($0.manager) && lastAppliedFields.contains($0.path) }
    }

    static func conflictError(_ conflicts: [Conflict]) -> APIError {
        let sorted = conflicts.sorted { ($0.manager, $0.field) < ($1.manager, $1.field) }
        let lines = sorted.map { "conflict with \"\($0.manager)\" using \($0.apiVersion): \($0.field)" }
        let message =
            sorted.count == 1
            ? "Apply failed with 1 conflict: \(lines[0])"
            : "Apply failed with \(sorted.count) conflicts: " + lines.joined(separator: "\n")
        let causes = sorted.map { conflict -> JSON in
            [
                "reason": "FieldManagerConflict", "message": .string("conflict with \"\(conflict.manager)\" using \(conflict.apiVersion)"),
                "field": .string(conflict.field),
            ]
        }
        return APIError(code: 409, reason: "Conflict", message: message, details: ["causes": .array(causes)])
    }
}
