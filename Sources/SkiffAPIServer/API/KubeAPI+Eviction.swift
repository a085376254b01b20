import Foundation
import SkiffAPI
import SkiffStore

/// `POST pods/NAME/eviction` (policy/v1 or v1beta1 Eviction): a pod deletion that respects the
/// PodDisruptionBudget selecting the pod, as Kubernetes' eviction REST does — what `kubectl drain`
/// uses.
extension KubeAPI {
    static let evictionBlocked = "Cannot evict pod as it would violate the pod's disruption budget."
    /// Kubernetes' cap on a budget's `status.disruptedPods`, which the controller drains.
    static let maximumDisruptedPods = 2000

    func evict(_ target: Target, _ request: APIRequest) async throws -> APIResponse {
        let eviction = try Self.parseBody(request)
        guard eviction.object != nil else { throw APIError.badRequest("the request body must be an Eviction object") }
        if let apiVersion = eviction["apiVersion"].string, !["policy/v1", "policy/v1beta1"].contains(apiVersion) {
            throw APIError.badRequest("unsupported Eviction version \(apiVersion): send policy/v1 or policy/v1beta1")
        }
        if let kind = eviction["kind"].string, kind != "Eviction" {
            throw APIError.badRequest("the kind in the data (\(kind)) does not match the expected kind (Eviction)")
        }
        let name = target.name ?? ""
        if let bodyName = eviction["metadata"]["name"].string, !bodyName.isEmpty, bodyName != name {
            throw APIError.badRequest("name in URL does not match name in Eviction object")
        }
        if let namespace = eviction["metadata"]["namespace"].string, !namespace.isEmpty, namespace != target.namespace {
            throw APIError.badRequest("the namespace of the provided object does not match the namespace sent on the request")
        }
        let options = eviction["deleteOptions"]
        let propagation = try PropagationPolicy(options: options.object == nil ? .emptyObject : options, query: [:])
        let dryRun = (options["dryRun"].array ?? []).contains("All") || request.query["dryRun"] == "All"
        let podTarget = Target(definition: target.definition, namespace: target.namespace, name: name, subresource: nil)
        for _ in 0..<5 {
            let (stored, pod) = try await load(podTarget)
            if let uid = options["preconditions"]["uid"].string, uid != pod["metadata"]["uid"].string {
                throw APIError.conflict(target.definition.naming, name: name)
            }
            if let version = options["preconditions"]["resourceVersion"].string, version != String(stored.modRevision) {
                throw APIError.conflict(target.definition.naming, name: name)
            }
            if try await mayDisrupt(pod, dryRun: dryRun) {
                if !dryRun {
                    do {
                        _ = try await deleteObject(
                            podTarget, stored: stored, current: pod, gracePeriod: options["gracePeriodSeconds"].int, propagation: propagation)
                    } catch let error as APIError where error.reason == "Conflict" {
                        // The pod changed between the read and the delete: look again.
                        continue
                    }
                }
                return .json(["kind": "Status", "apiVersion": "v1", "metadata": .emptyObject, "status": "Success", "code": 201], status: 201)
            }
        }
        throw APIError.conflict(target.definition.naming, name: name)
    }

    /// Whether `pod` may go now; takes one disruption from the budget selecting it (recorded
    /// under `status.disruptedPods`) when it is running and healthy. Throws 429 when the budget
    /// allows none.
    func mayDisrupt(_ pod: JSON, dryRun: Bool) async throws -> Bool {
        // A pod not running (or already terminating) disrupts nothing a budget counts.
        let phase = pod["status"]["phase"].string ?? "Pending"
        if ["Pending", "Succeeded", "Failed"].contains(phase) || !pod["metadata"]["deletionTimestamp"].isNull { return true }
        let namespace = pod["metadata"]["namespace"].string
        let budgetTarget = Target(definition: PolicyResources.podDisruptionBudget, namespace: namespace, name: nil, subresource: nil)
        for _ in 0..<5 {
            let listed = try await store.list(
                prefix: PolicyResources.podDisruptionBudget.prefix(namespace: namespace), startAfter: nil, limit: nil, revision: nil)
            let labels = pod["metadata"]["labels"].stringMap
            var matching: [(KeyValue, JSON)] = []
            for stored in listed.items {
                let budget = try decode(stored)
                // A budget with an empty selector matches nothing here, as in Kubernetes.
                guard let selector = try? LabelSelector(object: budget["spec"]["selector"]), !selector.isEmpty, selector.matches(labels) else {
                    continue
                }
                matching.append((stored, budget))
            }
            if matching.isEmpty { return true }
            guard matching.count == 1, let (stored, budget) = matching.first else {
                throw APIError.internalError("This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.")
            }
            let status = budget["status"]
            if !Self.podIsReady(pod) {
                // An unhealthy pod does not count toward the budget's healthy pods: evicting it is
                // fine once the budget is met, or always with the AlwaysAllow policy.
                if budget["spec"]["unhealthyPodEvictionPolicy"] == "AlwaysAllow" { return true }
                let desired = status["desiredHealthy"].int ?? 0
                if desired > 0 && (status["currentHealthy"].int ?? 0) >= desired { return true }
            }
            let budgetName = budget["metadata"]["name"].string ?? ""
            if (status["observedGeneration"].int ?? 0) < (budget["metadata"]["generation"].int ?? 1) {
                throw Self.tooManyRequests("The disruption budget \(budgetName) is still being processed by the server.")
            }
            let allowed = status["disruptionsAllowed"].int ?? 0
            if allowed < 0 { throw APIError.forbidden("pdb disruptions allowed is negative") }
            if (status["disruptedPods"].object?.count ?? 0) > Self.maximumDisruptedPods {
                throw APIError.forbidden("DisruptedPods map too big - too many evictions not confirmed by PDB controller")
            }
            if allowed == 0 {
                throw Self.tooManyRequests(
                    "The disruption budget \(budgetName) needs \(status["desiredHealthy"].int ?? 0) healthy pods and has \(status["currentHealthy"].int ?? 0) currently"
                )
            }
            if dryRun { return true }
            var next = budget
            next["status"]["disruptionsAllowed"] = .int(allowed - 1)
            next["status"]["disruptedPods"][pod["metadata"]["name"].string ?? ""] = .string(Timestamp.now())
            if allowed - 1 == 0 {
                var conditions = (status["conditions"].array ?? []).filter { $0["type"] != "DisruptionAllowed" }
                conditions.append([
                    "type": "DisruptionAllowed", "status": "False", "reason": "InsufficientPods", "message": "", "lastTransitionTime": .string(Timestamp.now()),
                    "observedGeneration": budget["metadata"]["generation"],
                ])
                next["status"]["conditions"] = .array(conditions)
            }
            let statusTarget = Target(
                definition: PolicyResources.podDisruptionBudget, namespace: namespace, name: budgetName, subresource: "status")
            do {
                _ = try await commit(statusTarget, stored: stored, current: budget, proposed: next)
                return true
            } catch let error as APIError where error.reason == "Conflict" {
                continue
            }
        }
        throw APIError.conflict(budgetTarget.definition.naming, name: "")
    }

    static func podIsReady(_ pod: JSON) -> Bool {
        (pod["status"]["conditions"].array ?? []).contains { $0["type"] == "Ready" && $0["status"] == "True" }
    }

    /// 429 with the budget's reason as a `DisruptionBudget` cause, as Kubernetes answers.
    static func tooManyRequests(_ cause: String) -> APIError {
        APIError(
            code: 429, reason: "TooManyRequests", message: evictionBlocked,
            details: ["causes": [["reason": "DisruptionBudget", "message": .string(cause)]]])
    }
}
