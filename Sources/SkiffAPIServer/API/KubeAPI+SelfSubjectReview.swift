import SkiffAPI

/// authentication.k8s.io/v1 SelfSubjectReview, which `kubectl auth whoami` asks: who the request
/// was authenticated as (after impersonation). Nothing is stored.
extension KubeAPI {
    static let authenticationGroup = "authentication.k8s.io"

    /// Answers `POST /apis/authentication.k8s.io/v1/selfsubjectreviews`; nil for other paths.
    func selfSubjectReview(_ request: APIRequest, identity: Identity, segments: [String]) async throws -> APIResponse? {
        guard segments == ["apis", Self.authenticationGroup, "v1", "selfsubjectreviews"] else { return nil }
        guard request.method == "POST" else {
            throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
        }
        let asking = AuthorizationAttributes(
            user: identity.user, verb: "create",
            target: .resource(group: Self.authenticationGroup, resource: "selfsubjectreviews", subresource: nil, namespace: nil, name: nil))
        guard try await isAllowed(identity, asking) else { throw APIError.forbidden(asking.forbiddenMessage) }
        let user = identity.user
        var userInfo: JSON = ["username": .string(user.name), "groups": .array(user.groups.map(JSON.string))]
        if !user.uid.isEmpty { userInfo["uid"] = .string(user.uid) }
        return .json(
            [
                "kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1", "metadata": ["creationTimestamp": .null],
                "status": ["userInfo": userInfo],
            ], status: 201)
    }
}
