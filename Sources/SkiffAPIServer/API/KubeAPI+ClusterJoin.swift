import SkiffAPI

/// What a server that started the cluster (`--cluster-init`) or joined it offers to servers
/// joining after it: `GET /cacerts` (public: the CA certificate, which the joiner checks against
/// its token's hash) and `POST /skiff/v1/join` with the server token's secret as bearer.
public struct ClusterJoinEndpoint: Sendable {
    public let caCertificatePEM: String
    public let secret: String
    /// Adds the joiner (the request body) to the cluster and returns what it needs.
    public let join: @Sendable (JSON) async throws -> JSON

    public init(caCertificatePEM: String, secret: String, join: @escaping @Sendable (JSON) async throws -> JSON) {
        self.caCertificatePEM = caCertificatePEM
        self.secret = secret
        self.join = join
    }
}

extension KubeAPI {
    /// Answers the two join paths, or nil for any other path.
    func clusterJoinRoute(_ request: APIRequest, segments: [String]) async throws -> APIResponse? {
        guard segments == ["cacerts"] || segments == ["skiff", "v1", "join"] else { return nil }
        guard let endpoint = clusterJoin else { throw Self.pathNotFound }
        if segments == ["cacerts"] { return .text(endpoint.caCertificatePEM) }
        guard request.method == "POST" else { throw APIError.methodNotAllowed("POST the joining server's member to /skiff/v1/join") }
        let presented = request.headers["authorization"].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil } ?? ""
        guard Authenticator.constantTimeEqual(presented, endpoint.secret) else { throw APIError.unauthorized }
        guard let body = try? JSON(parsing: request.body), case .object = body else {
            throw APIError.badRequest("the join request must be a JSON object")
        }
        do {
            return .json(try await endpoint.join(body))
        } catch let error as APIError {
            throw error
        } catch {
            logger.error("a server could not join", metadata: ["error": "\(error)"])
            throw APIError(code: 503, reason: "ServiceUnavailable", message: "cannot add the member: \(error)")
        }
    }
}
