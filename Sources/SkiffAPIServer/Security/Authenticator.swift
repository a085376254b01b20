import Foundation
import SkiffNodeAPI

/// Who a request comes from: the cluster admin, or one node's agent.
public enum Identity: Sendable, Equatable {
    case admin
    case node(String)
}

/// Bearer-token authentication.
///
/// The admin token is a random secret written into `admin.kubeconfig`. Nodes hold the join token
/// from `DIR/node-token` and present `skiff-node.<node>.<hex HMAC-SHA256(join token, node)>`, so the
/// server can tell nodes apart without storing per-node credentials.
public struct Authenticator: Sendable {
    let adminToken: String
    let joinToken: String

    public init(adminToken: String, joinToken: String) {
        self.adminToken = adminToken
        self.joinToken = joinToken
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
        guard let authorization, authorization.hasPrefix("Bearer ") else { return nil }
        let token = APIRequest.trimmingSpaces(authorization.utf8.dropFirst("Bearer ".count))
        if Self.constantTimeEqual(token, adminToken) { return .admin }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 3, parts[0] == "skiff-node", let signature = parts.last else { return nil }
        let nodeName = parts[1..<(parts.count - 1)].joined(separator: ".")
        guard !nodeName.isEmpty, Self.constantTimeEqual(String(signature), Self.signature(joinToken: joinToken, nodeName: nodeName)) else {
            return nil
        }
        return .node(nodeName)
    }

    static func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool { NodeCredential.constantTimeEqual(lhs, rhs) }
}
