import Foundation
import SkiffNodeAPI

/// Who a request comes from: the admin token's holder, one node's agent, or a user (a client
/// certificate, or whoever an impersonating admin acts as).
public enum Identity: Sendable, Equatable {
    case admin
    case node(String)
    case user(UserInfo)

    /// The user authorization decides for.
    public var user: UserInfo {
        switch self {
        case .admin: .admin
        case .node(let node): UserInfo(name: "system:node:\(node)", groups: [UserInfo.nodesGroup])
        case .user(let user): user
        }
    }

    /// Allowed everything without asking RBAC (the admin token, and `system:masters`).
    public var isPrivileged: Bool {
        switch self {
        case .admin: true
        case .node: false
        case .user(let user): user.isPrivileged
        }
    }
}

/// Bearer-token and client-certificate authentication.
///
/// The admin token is a random secret in `DIR/pki/admin.token`. Nodes hold the join token
/// from `DIR/node-token` and present `skiff-node.<node>.<hex HMAC-SHA256(join token, node)>`, so the
/// server can tell nodes apart without storing per-node credentials. People present a client
/// certificate the cluster CA signed (the TLS handshake verified it): its CN is the user, its Os
/// the groups, as Kubernetes' x509 authenticator reads them.
public struct Authenticator: Sendable {
    let adminToken: String
    let joinToken: String
    let certificateUsers = ClientCertificateUsers()
    /// The service-account token issuer and verified tokens (checked by `KubeAPI.identify`).
    public let serviceAccounts = ServiceAccountTokens()

    public init(adminToken: String, joinToken: String) {
        self.adminToken = adminToken
        self.joinToken = joinToken
    }

    /// The request's identity: its bearer token when it has one, else its client certificate.
    public func identify(_ request: APIRequest) -> Identity? {
        if let authorization = request.headers["authorization"] { return identify(authorization: authorization) }
        return request.clientCertificate.flatMap { certificateUsers.user(der: $0) }.map { .user($0) }
    }

    public static func randomSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// The bearer token node `nodeName` uses, derived from the join token.
    public static func nodeToken(joinToken: String, nodeName: String) -> String {
        NodeCredential.token(joinToken: joinToken, nodeName: nodeName)
    }

    static func signature(joinToken: String, nodeName: String) -> String {
        NodeCredential.signature(joinToken: joinToken, nodeName: nodeName)
    }

    public func identify(authorization: String?) -> Identity? {
        guard let authorization, let token = Self.bearerToken(authorization) else { return nil }
        if Self.constantTimeEqual(token, adminToken) { return .admin }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 3, parts[0] == "skiff-node", let signature = parts.last else { return nil }
        let nodeName = parts[1..<(parts.count - 1)].joined(separator: ".")
        guard !nodeName.isEmpty, Self.constantTimeEqual(String(signature), Self.signature(joinToken: joinToken, nodeName: nodeName)) else {
            return nil
        }
        return .node(nodeName)
    }

    /// The token of an `Authorization: Bearer TOKEN` header. The scheme is case-insensitive
    /// (RFC 7235), as Kubernetes reads it: the Python client's in-cluster config sends `bearer`.
    static func bearerToken(_ authorization: String) -> String? {
        let scheme = "bearer ".utf8
        let bytes = authorization.utf8
        guard bytes.count > scheme.count, bytes.prefix(scheme.count).elementsEqual(scheme, by: { $0 | 0x20 == $1 }) else { return nil }
        return APIRequest.trimmingSpaces(bytes.dropFirst(scheme.count))
    }

    static func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool { NodeCredential.constantTimeEqual(lhs, rhs) }
}
