import Foundation
import SkiffAPI
import SkiffStore

extension KubeAPI {
    /// `POST pods/NAME/binding`: assigns a pending pod to a node (the scheduler's write).
    func bind(_ target: Target, _ request: APIRequest) async throws -> APIResponse {
        let binding = try Self.parseBody(request)
        guard let node = binding["target"]["name"].string, !node.isEmpty else {
            throw APIError.invalid(kind: "Binding", name: target.name ?? "", causes: [("target.name", "Required value")])
        }
        let podTarget = Target(definition: target.definition, namespace: target.namespace, name: target.name, subresource: nil)
        for _ in 0..<5 {
            var (stored, pod) = try await load(podTarget)
            if let existing = pod["spec"]["nodeName"].string, !existing.isEmpty {
                throw APIError(
                    code: 409, reason: "Conflict",
                    message:
                        "Operation cannot be fulfilled on pods/binding \"\(target.name ?? "")\": pod \(target.name ?? "") is already assigned to node \"\(existing)\""
                )
            }
            if !pod["metadata"]["deletionTimestamp"].isNull {
                throw APIError(code: 409, reason: "Conflict", message: "pod \(target.name ?? "") is being deleted, cannot be assigned to a host")
            }
            pod["spec"]["nodeName"] = .string(node)
            var conditions = (pod["status"]["conditions"].array ?? []).filter { $0["type"].string != "PodScheduled" }
            conditions.append(["type": "PodScheduled", "status": "True", "lastProbeTime": .null, "lastTransitionTime": .string(Timestamp.now())])
            pod["status"]["conditions"] = .array(conditions)
            do {
                _ = try await store.update(
                    podTarget.definition.key(namespace: target.namespace, name: target.name ?? ""), value: Self.encodeForStore(pod),
                    expectedRevision: stored.modRevision)
                return .json(["kind": "Status", "apiVersion": "v1", "metadata": .emptyObject, "status": "Success", "code": 201], status: 201)
            } catch .conflict {
                continue
            } catch {
                throw Self.map(error, target.definition, name: target.name)
            }
        }
        throw APIError.conflict(target.definition.naming, name: target.name ?? "")
    }

    /// The `autoscaling/v1` Scale view of a workload.
    func scale(of object: JSON) -> JSON {
        let selector = (try? LabelSelector(object: object["spec"]["selector"]))
        let selectorText = selector.map { _ in Columns.selector(object["spec"]["selector"]) } ?? ""
        return [
            "kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": [
                "name": object["metadata"]["name"], "namespace": object["metadata"]["namespace"], "uid": object["metadata"]["uid"],
                "resourceVersion": object["metadata"]["resourceVersion"], "creationTimestamp": object["metadata"]["creationTimestamp"],
            ],
            "spec": ["replicas": .int(object["spec"]["replicas"].int ?? 0)],
            "status": ["replicas": .int(object["status"]["replicas"].int ?? 0), "selector": .string(selectorText == "<none>" ? "" : selectorText)],
        ]
    }

    func getScale(_ target: Target, _ request: APIRequest) async throws -> APIResponse {
        let (_, object) = try await load(Target(definition: target.definition, namespace: target.namespace, name: target.name, subresource: nil))
        return .json(scale(of: object))
    }

    func updateScale(_ target: Target, _ request: APIRequest, patch isPatch: Bool) async throws -> APIResponse {
        let body = try Self.parseBody(request)
        let objectTarget = Target(definition: target.definition, namespace: target.namespace, name: target.name, subresource: nil)
        for _ in 0..<5 {
            let (stored, object) = try await load(objectTarget)
            let current = scale(of: object)
            let proposed: JSON
            if isPatch {
                do throws(PatchError) {
                    switch request.contentType {
                    case "application/json-patch+json": proposed = try JSONPatch.apply(body, to: current)
                    case "application/strategic-merge-patch+json": proposed = try StrategicMergePatch.apply(body, to: current)
                    default: proposed = MergePatch.apply(body, to: current)
                    }
                } catch {
                    throw APIError(code: 422, reason: "Invalid", message: "the patch could not be applied: \(error.message)")
                }
            } else {
                proposed = body
            }
            guard let replicas = proposed["spec"]["replicas"].int, replicas >= 0 else {
                throw APIError.invalid(kind: "Scale", name: target.name ?? "", causes: [("spec.replicas", "Invalid value: must be greater than or equal to 0")])
            }
            var next = object
            next["spec"]["replicas"] = .int(replicas)
            if let version = proposed["metadata"]["resourceVersion"].string, !isPatch, version != String(stored.modRevision) {
                throw APIError.conflict(target.definition.naming, name: target.name ?? "")
            }
            do {
                let updated = try await commit(objectTarget, stored: stored, current: object, proposed: next)
                return .json(scale(of: updated))
            } catch let error as APIError where error.reason == "Conflict" {
                continue
            }
        }
        throw APIError.conflict(target.definition.naming, name: target.name ?? "")
    }
}
