import Synchronization

/// The API server's service-account token state: the issuer (its key), and the claims of tokens
/// already verified, so a client sending the same token on every request costs one signature
/// check, not one per request (the time, audience and binding checks still run every time).
public final class ServiceAccountTokens: Sendable {
    private let state: Mutex<(issuer: ServiceAccountIssuer, verified: [String: ServiceAccountClaims])>
    /// Tokens are few (one per pod and a few for people); the bound stops a flood of fresh ones.
    static let capacity = 4096

    /// An issuer with a fresh key until `use(_:)` installs the server's.
    public init(issuer: ServiceAccountIssuer = .ephemeral()) {
        state = Mutex((issuer, [:]))
    }

    public var issuer: ServiceAccountIssuer { state.withLock { $0.issuer } }

    /// Installs the server's issuer; tokens verified with the previous one are forgotten.
    public func use(_ issuer: ServiceAccountIssuer) {
        state.withLock { $0 = (issuer, [:]) }
    }

    /// Whether `token` has a JWS's shape (so the other bearer tokens skip the signature check).
    static func looksLikeJWT(_ token: String) -> Bool {
        token.hasPrefix("eyJ") && token.utf8.count(where: { $0 == UInt8(ascii: ".") }) == 2
    }

    /// The claims of `token` if it is valid at `now` for the API's audiences; the binding to
    /// objects is the caller's to check.
    func claims(_ token: String, now: Int64) throws(ServiceAccountIssuer.Rejection) -> ServiceAccountClaims {
        let (issuer, known) = state.withLock { ($0.issuer, $0.verified[token]) }
        let claims: ServiceAccountClaims
        if let known {
            claims = known
        } else {
            claims = try issuer.verifiedClaims(token)
            state.withLock { state in
                if state.verified.count >= Self.capacity { state.verified.removeAll() }
                state.verified[token] = claims
            }
        }
        try ServiceAccountIssuer.check(claims, now: now, audiences: issuer.apiAudiences)
        return claims
    }
}
