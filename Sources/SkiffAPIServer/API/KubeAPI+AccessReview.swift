import SkiffAPI

/// authorization.k8s.io/v1's reviews, which `kubectl auth can-i` asks: SelfSubjectAccessReview
/// (may I?), SubjectAccessReview and LocalSubjectAccessReview (may they?), and
/// SelfSubjectRulesReview (what may I do in a namespace?, for `--list`). Nothing is stored: the
/// answer is the request with a status.
extension KubeAPI {
    static let authorizationGroup = "authorization.k8s.io"

    /// Answers `POST /apis/authorization.k8s.io/v1/…reviews`; nil for other paths.
    func accessReview(_ request: APIRequest, identity: Identity, segments: [String]) async throws -> APIResponse? {
        guard segments.count >= 4, segments[0] == "apis", segments[1] == Self.authorizationGroup, segments[2] == "v1" else { return nil }
        let rest = Array(segments.dropFirst(3))
        let (resource, namespace): (String, String?) =
            switch rest.count {
            case 1: (rest[0], nil)
            case 3 where rest[0] == "namespaces": (rest[2], rest[1])
            default: throw Self.pathNotFound
            }
        let kinds = [
            "selfsubjectaccessreviews": "SelfSubjectAccessReview", "subjectaccessreviews": "SubjectAccessReview",
            "localsubjectaccessreviews": "LocalSubjectAccessReview", "selfsubjectrulesreviews": "SelfSubjectRulesReview",
        ]
        guard let kind = kinds[resource], (resource == "localsubjectaccessreviews") == (namespace != nil) else { throw Self.pathNotFound }
        guard request.method == "POST" else {
            throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
        }
        let asking = AuthorizationAttributes(
            user: identity.user, verb: "create",
            target: .resource(group: Self.authorizationGroup, resource: resource, subresource: nil, namespace: namespace, name: nil))
        guard try await isAllowed(identity, asking) else { throw APIError.forbidden(asking.forbiddenMessage) }
        var review = try Self.parseBody(request)
        guard review["kind"].string == kind else { throw APIError.badRequest("the body is a \(review["kind"].string ?? "nothing"), not a \(kind)") }
        let spec = review["spec"]
        switch resource {
        case "selfsubjectrulesreviews":
            review["status"] = try await rulesReviewStatus(identity, namespace: spec["namespace"].string ?? "default")
        case "selfsubjectaccessreviews":
            review["status"] = try await accessReviewStatus(identity, spec: spec)
        default:
            let subject = UserInfo(
                name: spec["user"].string ?? "", uid: spec["uid"].string ?? "", groups: spec["groups"].array?.compactMap(\.string) ?? [])
            if let namespace, let asked = spec["resourceAttributes"]["namespace"].string, asked != namespace {
                throw APIError.badRequest("spec.resourceAttributes.namespace must match the namespace \"\(namespace)\" of the request")
            }
            var scoped = spec
            if let namespace { scoped["resourceAttributes"]["namespace"] = .string(namespace) }
            review["status"] = try await accessReviewStatus(.user(subject), spec: scoped)
        }
        if review["metadata"].isNull { review["metadata"] = .emptyObject }
        review["apiVersion"] = "authorization.k8s.io/v1"
        return .json(review, status: 201)
    }

    /// `{allowed, reason}` for the spec's resource or non-resource attributes.
    func accessReviewStatus(_ identity: Identity, spec: JSON) async throws -> JSON {
        let attributes: AuthorizationAttributes
        func text(_ value: JSON) -> String? { value.string.flatMap { $0.isEmpty ? nil : $0 } }
        if !spec["resourceAttributes"].isNull {
            let asked = spec["resourceAttributes"]
            attributes = AuthorizationAttributes(
                user: identity.user, verb: asked["verb"].string ?? "",
                target: .resource(
                    group: asked["group"].string ?? "", resource: asked["resource"].string ?? "", subresource: text(asked["subresource"]),
                    namespace: text(asked["namespace"]), name: text(asked["name"])))
        } else if !spec["nonResourceAttributes"].isNull {
            let asked = spec["nonResourceAttributes"]
            attributes = AuthorizationAttributes(user: identity.user, verb: asked["verb"].string ?? "", target: .path(asked["path"].string ?? ""))
        } else {
            throw APIError.invalid(
                kind: "SubjectAccessReview", name: "",
                causes: [("spec.resourceAttributes", "Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified")])
        }
        // Like Kubernetes' RBAC, a denial gives no reason: `kubectl auth can-i` prints a bare "no".
        return ["allowed": .bool(try await isAllowed(identity, attributes))]
    }

    /// The rules that apply to the requester in `namespace`.
    func rulesReviewStatus(_ identity: Identity, namespace: String) async throws -> JSON {
        if case .node = identity {
            // The node authorizer's rights are not rules; say so as Kubernetes does for
            // authorizers that cannot list theirs.
            return ["resourceRules": [], "nonResourceRules": [], "incomplete": true]
        }
        let rules = try await rbac.current(self).rules(for: identity.user, namespace: namespace)
        let resourceRules = rules.filter { $0.nonResourceURLs.isEmpty }.map { rule -> JSON in
            var json = rule.json
            json["apiGroups"] = .array(rule.apiGroups.map { .string($0) })
            return json
        }
        let nonResourceRules = rules.filter { !$0.nonResourceURLs.isEmpty }.map(\.json)
        return ["resourceRules": .array(resourceRules), "nonResourceRules": .array(nonResourceRules), "incomplete": false]
    }
}
