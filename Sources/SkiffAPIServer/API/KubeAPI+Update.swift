import Foundation
import SkiffAPI
import SkiffStore

extension KubeAPI {
    func update(_ target: Target, _ request: APIRequest) async throws -> APIResponse {
        var warnings: [String] = []
        var body = try checkedBody(try Self.parseBody(request), target: target, request: request, warnings: &warnings)
        let (stored, current) = try await load(target)
        FieldOwnership.recordUpdate(manager: Self.fieldManager(request), before: current, after: &body)
        let updated = try await commit(target, stored: stored, current: current, proposed: body, dryRun: request.query["dryRun"] == "All")
        return withWarnings(.json(updated), warnings)
    }

    func patch(_ target: Target, _ request: APIRequest) async throws -> APIResponse {
        let patchDocument = try Self.parseBody(request)
        let type = request.contentType
        let dryRun = request.query["dryRun"] == "All"
        var warnings: [String] = []
        let applying = type == "application/apply-patch+yaml"
        let manager = Self.fieldManager(request)
        if applying {
            guard request.query["fieldManager"].map({ !$0.isEmpty }) == true else {
                throw APIError.invalid(kind: "PatchOptions", name: "", causes: [("fieldManager", "Required value: is required for apply patch")])
            }
            guard patchDocument["metadata"]["managedFields"].isNull else {
                throw APIError.badRequest("metadata.managedFields must be nil")
            }
        }
        // Without a resourceVersion precondition in the patch, a conflicting write is retried
        // against the new state, as the Kubernetes API server does.
        for _ in 0..<5 {
            let loaded: (KeyValue, JSON)
            do {
                loaded = try await load(target)
            } catch let error as APIError where error.code == 404 && type == "application/apply-patch+yaml" {
                // Server-side apply of an absent object creates it.
                var object = try checkedBody(patchDocument, target: target, request: request, warnings: &warnings)
                FieldOwnership.store(
                    [
                        .init(
                            manager: manager, operation: "Apply", apiVersion: target.definition.naming.apiVersion, time: Timestamp.now(),
                            fields: FieldOwnership.fields(of: patchDocument))
                    ], in: &object)
                return withWarnings(.json(try await createObject(object, target: target, dryRun: dryRun), status: 201), warnings)
            }
            let (stored, current) = loaded
            var patched: JSON
            do {
                switch type {
                case "application/json-patch+json": patched = try JSONPatch.apply(patchDocument, to: current)
                case "application/merge-patch+json": patched = MergePatch.apply(patchDocument, to: current)
                case "application/strategic-merge-patch+json":
                    guard target.definition.naming.group != "metrics.k8s.io" else { throw APIError.unsupportedMediaType(type) }
                    patched = try StrategicMergePatch.apply(patchDocument, to: current)
                case "application/apply-patch+yaml":
                    // The applied configuration merges structurally (keyed lists by their merge
                    // keys); ownership decides conflicts and which fields the manager dropped.
                    patched = try StrategicMergePatch.apply(patchDocument, to: current)
                    try FieldOwnership.apply(manager: manager, applied: patchDocument, live: current, merged: &patched, force: request.flag("force"))
                default: throw APIError.unsupportedMediaType(type)
                }
            } catch let error as PatchError {
                throw APIError(code: 422, reason: "Invalid", message: "the patch could not be applied: \(error.message)")
            }
            var checked = try checkedBody(patched, target: target, request: request, warnings: &warnings)
            if !applying && target.subresource == nil { FieldOwnership.recordUpdate(manager: manager, before: current, after: &checked) }
            do {
                let updated = try await commit(target, stored: stored, current: current, proposed: checked, dryRun: dryRun)
                return withWarnings(.json(updated), warnings)
            } catch let error as APIError where error.reason == "Conflict" && patchDocument["metadata"]["resourceVersion"].isNull {
                continue
            }
        }
        throw APIError.conflict(target.definition.naming, name: target.name ?? "")
    }

    /// The `fieldManager` query parameter, else the client's name from its User-Agent (as
    /// Kubernetes: `kubectl/v1.32.0 (linux/amd64) …` → `kubectl`).
    static func fieldManager(_ request: APIRequest) -> String {
        if let manager = request.query["fieldManager"], !manager.isEmpty { return manager }
        let agent = request.headers["user-agent"] ?? ""
        let name = agent.split(separator: "/").first.map(String.init) ?? ""
        return name.isEmpty ? "unknown" : String(name.prefix(128))
    }

    /// Applies an update (full object, or status only for `/status`) with optimistic concurrency.
    func commit(_ target: Target, stored: KeyValue, current: JSON, proposed: JSON, dryRun: Bool = false) async throws -> JSON {
        let definition = target.definition
        let name = target.name ?? ""
        if let version = proposed["metadata"]["resourceVersion"].string, !version.isEmpty, version != String(stored.modRevision) {
            throw APIError.conflict(definition.naming, name: name)
        }
        if let proposedName = proposed["metadata"]["name"].string, proposedName != name {
            throw APIError.badRequest("the name of the object (\(proposedName)) does not match the name on the URL (\(name))")
        }
        var next: JSON
        if target.subresource == "status" {
            next = current
            next["status"] = proposed["status"]
        } else {
            next = proposed
            if definition.hasStatus { next["status"] = current["status"] }
            for field in ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "namespace", "name"] {
                next["metadata"][field] = current["metadata"][field]
            }
            definition.defaults(&next)
            if definition.kind == "Service" {
                for field in ["clusterIP", "clusterIPs"] where next["spec"][field].isNull { next["spec"][field] = current["spec"][field] }
                try await checkNodePortUpdate(current: current, next: next)
            }
            if definition.kind == "Pod" {
                // As on create (the admission runs on both): a PUT that leaves them out keeps them.
                defaultTolerationSeconds.admit(&next)
                try checkPodUpdate(current: current, next: next)
            }
            if definition.kind == "Node" {
                try keepPodCIDR(current: current, next: &next)
            }
            if definition.kind == "Namespace" {
                // Only the namespace controller changes these (Kubernetes: the finalize subresource).
                next["spec"]["finalizers"] = current["spec"]["finalizers"]
            }
        }
        try validate(next, definition)
        if definition.tracksGeneration, next["spec"] != current["spec"] {
            next["metadata"]["generation"] = .int((current["metadata"]["generation"].int ?? 1) + 1)
        }
        next["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        if next == current { return current }
        if dryRun { return next }
        let key = definition.key(namespace: target.namespace, name: name)
        let claimed = definition.kind == "Node" ? try await claimPodCIDRs(current: current, next: next) : []
        if Self.finalized(next, definition) {
            // The last finalizer is gone from an object being deleted: it can go now.
            do { _ = try await store.delete(key, expectedRevision: stored.modRevision) } catch { throw Self.map(error, definition, name: name) }
            return next
        }
        do {
            let revision = try await store.update(key, value: Self.encodeForStore(next, as: definition), expectedRevision: stored.modRevision)
            next["metadata"]["resourceVersion"] = .string(String(revision))
            if definition.kind == "Node" { podCIDRStored(current: current, next: next, revision: revision) }
            return next
        } catch {
            releasePodCIDRs(claimed, of: next)
            throw Self.map(error, definition, name: name)
        }
    }

    /// Whether an object being deleted has nothing left holding it: no finalizers, a namespace
    /// also no `spec.finalizers`, and a pod also stopped by its agent (grace period 0).
    static func finalized(_ object: JSON, _ definition: ResourceDefinition) -> Bool {
        let metadata = object["metadata"]
        guard !metadata["deletionTimestamp"].isNull, (metadata["finalizers"].array ?? []).isEmpty else { return false }
        switch definition.kind {
        case "Pod": return metadata["deletionGracePeriodSeconds"].int == 0
        case "Namespace": return (object["spec"]["finalizers"].array ?? []).isEmpty
        default: return true
        }
    }

    /// Pod specs are mostly immutable: only container images, activeDeadlineSeconds and
    /// tolerations additions may change (labels and annotations live in metadata).
    func checkPodUpdate(current: JSON, next: JSON) throws {
        var before = current["spec"]
        var after = next["spec"]
        for spec in [0, 1] {
            var value = spec == 0 ? before : after
            value["activeDeadlineSeconds"] = .null
            value["tolerations"] = .null
            if var containers = value["containers"].array {
                for index in containers.indices { containers[index]["image"] = .null }
                value["containers"] = .array(containers)
            }
            if spec == 0 { before = value } else { after = value }
        }
        // Binding sets nodeName once; the scheduler does it through the binding subresource.
        if before["nodeName"].isNull { after["nodeName"] = .null }
        if before != after {
            throw APIError.invalid(
                kind: "Pod", name: current["metadata"]["name"].string ?? "",
                causes: [
                    (
                        "spec",
                        "Forbidden: pod updates may not change fields other than `spec.containers[*].image`, `spec.activeDeadlineSeconds` or `spec.tolerations` (only additions to existing tolerations)"
                    )
                ])
        }
    }
}
