import Foundation
import SkiffAPI
import SkiffStore

extension KubeAPI {
    func get(_ target: Target, _ request: APIRequest) async throws -> APIResponse {
        let (_, object) = try await load(target)
        if request.wantsTable { return .json(table(target.definition, objects: [object], request: request, listMeta: .emptyObject)) }
        return .json(object)
    }

    /// Parsed `labelSelector` and `fieldSelector`, rejecting fields the kind does not index.
    struct Selection {
        let labels: LabelSelector
        let fields: FieldSelector

        func matches(_ object: JSON) -> Bool {
            labels.matches(object["metadata"]["labels"].stringMap) && fields.matches(object)
        }

        /// No label or field requirement: every object matches.
        var isEverything: Bool { labels.isEmpty && fields.isEmpty }
    }

    func selection(_ target: Target, _ request: APIRequest) throws -> Selection {
        do throws(SelectorError) {
            let labels = try LabelSelector(parsing: request.query["labelSelector"] ?? "")
            let fields = try FieldSelector(parsing: request.query["fieldSelector"] ?? "")
            let allowed = Set(["metadata.name", "metadata.namespace"] + target.definition.selectableFields)
            for requirement in fields.requirements where !allowed.contains(requirement.field) {
                throw SelectorError("field label not supported: \(requirement.field)")
            }
            return Selection(labels: labels, fields: fields)
        } catch {
            throw APIError.badRequest("unable to parse requirement: \(error.message)")
        }
    }

    /// The continue token: the revision the first page was read at and the last key returned.
    struct ContinueToken {
        let revision: Int64
        let startAfter: String

        var encoded: String { Base64.encode(JSON.object(["rv": .int(revision), "start": .string(startAfter)]).bytes) }

        init(revision: Int64, startAfter: String) {
            self.revision = revision
            self.startAfter = startAfter
        }

        init(decoding text: String) throws {
            guard let bytes = Base64.decode(text), let json = try? JSON(parsing: bytes), let revision = json["rv"].int, let start = json["start"].string else {
                throw APIError.badRequest("continue key is not valid")
            }
            self.revision = revision
            self.startAfter = start
        }
    }

    func list(_ target: Target, _ request: APIRequest) async throws -> APIResponse {
        let (items, listMeta) = try await listItems(target, request)
        if request.wantsTable { return .json(table(target.definition, objects: items, request: request, listMeta: listMeta)) }
        return .json([
            "kind": .string(target.definition.kind + "List"), "apiVersion": .string(target.definition.naming.apiVersion),
            "metadata": listMeta, "items": .array(items),
        ])
    }

    /// The objects a list answers (one page when `limit` is set) and the list's metadata.
    func listItems(_ target: Target, _ request: APIRequest) async throws -> (items: [JSON], listMeta: JSON) {
        let selection = try selection(target, request)
        let limit = request.query["limit"].flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil }
        var startAfter: String?
        var revision: Int64?
        if let token = request.query["continue"], !token.isEmpty {
            let decoded = try ContinueToken(decoding: token)
            startAfter = decoded.startAfter
            revision = decoded.revision
        }
        let prefix = target.definition.prefix(namespace: target.namespace)
        var items: [JSON] = []
        var nextToken: String?
        var readRevision: Int64 = 0
        while true {
            let page: ListResult
            do {
                page = try await store.list(prefix: prefix, startAfter: startAfter, limit: limit.map { max($0, 100) }, revision: revision)
            } catch .compacted {
                throw APIError(
                    code: 410, reason: "Expired",
                    message:
                        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter."
                )
            } catch {
                throw Self.map(error, target.definition, name: nil)
            }
            readRevision = page.revision
            revision = page.revision
            var stoppedEarly = false
            for (index, stored) in page.items.enumerated() {
                let object = try decode(stored, as: target.definition)
                guard selection.matches(object) else { continue }
                items.append(object)
                if let limit, items.count == limit {
                    if index < page.items.count - 1 || page.hasMore {
                        nextToken = ContinueToken(revision: page.revision, startAfter: stored.key).encoded
                    }
                    stoppedEarly = true
                    break
                }
            }
            if stoppedEarly || !page.hasMore { break }
            startAfter = page.items.last?.key
        }
        var listMeta: JSON = ["resourceVersion": .string(String(readRevision))]
        if let nextToken { listMeta["continue"] = .string(nextToken) }
        return (items, listMeta)
    }

    /// A `meta.k8s.io/v1` Table; rows carry PartialObjectMetadata unless `includeObject=Object`.
    func table(_ definition: ResourceDefinition, objects: [JSON], request: APIRequest, listMeta: JSON, includeColumns: Bool = true) -> JSON {
        let include = request.query["includeObject"] ?? "Metadata"
        let rows: [JSON] = objects.map { object in
            var row: JSON = ["cells": .array(definition.columns.map { $0.cell(object) })]
            switch include {
            case "None": break
            case "Object": row["object"] = object
            default:
                row["object"] = ["kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": object["metadata"]]
            }
            return row
        }
        var table: JSON = ["kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": listMeta, "rows": .array(rows)]
        if includeColumns { table["columnDefinitions"] = .array(definition.columns.map(\.definition)) }
        return table
    }
}
