import Crypto
import Foundation
import SkiffAPI

/// Signs and verifies bound service-account tokens: compact JWS with ES256 (a P-256 key), as
/// kube-apiserver's `--service-account-signing-key-file` with an EC key. The key lives in
/// `DIR/pki/service-account.key`, made once; joining servers get it with the CA, so every server
/// of a cluster signs and accepts the same tokens.
public struct ServiceAccountIssuer: Sendable {
    /// kube-apiserver's usual `--service-account-issuer`, also the audience the API accepts.
    public static let defaultIssuer = "https://kubernetes.default.svc.cluster.local"
    public static let keyFile = "service-account.key"

    public let issuer: String
    /// Audiences the API server accepts (kube-apiserver's `--api-audiences`: the issuer).
    public let apiAudiences: [String]
    /// The key's raw scalar and its public point (X9.63): Crypto's key types are not Sendable.
    let privateKey: [UInt8]
    let publicKey: [UInt8]
    /// base64url(SHA-256(the public key's DER)), as Kubernetes names its keys.
    public let keyID: String
    /// The JWS header every token carries, already encoded.
    let encodedHeader: String

    public init(key: P256.Signing.PrivateKey, issuer: String = Self.defaultIssuer) {
        privateKey = Array(key.rawRepresentation)
        publicKey = Array(key.publicKey.x963Representation)
        self.issuer = issuer
        apiAudiences = [issuer]
        keyID = Base64URL.encode(Array(SHA256.hash(data: key.publicKey.derRepresentation)))
        let header: JSON = ["alg": "ES256", "kid": .string(keyID)]
        encodedHeader = Base64URL.encode(header.bytes)
    }

    /// The key in `pkiDirectory`, created (0600) when there is none.
    public static func loadOrCreate(pkiDirectory: String, issuer: String = defaultIssuer) throws -> ServiceAccountIssuer {
        let path = pkiDirectory + "/" + keyFile
        if let pem = try? String(contentsOfFile: path, encoding: .utf8) {
            return ServiceAccountIssuer(key: try P256.Signing.PrivateKey(pemRepresentation: pem), issuer: issuer)
        }
        try FileManager.default.createDirectory(atPath: pkiDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let key = P256.Signing.PrivateKey()
        try ClusterPKI.writeSecret(key.pemRepresentation + "\n", to: path)
        return ServiceAccountIssuer(key: key, issuer: issuer)
    }

    /// An issuer with a fresh key (tests, and an API without a data directory).
    public static func ephemeral() -> ServiceAccountIssuer { ServiceAccountIssuer(key: P256.Signing.PrivateKey()) }

    /// The signed token carrying `claims`.
    public func sign(_ claims: ServiceAccountClaims) throws -> String {
        let signingInput = encodedHeader + "." + Base64URL.encode(claims.json.bytes)
        let key = try P256.Signing.PrivateKey(rawRepresentation: privateKey)
        let signature = try key.signature(for: Array(signingInput.utf8))
        return signingInput + "." + Base64URL.encode(Array(signature.rawRepresentation))
    }

    /// Why a token is not accepted.
    public enum Rejection: Error, Equatable, Sendable {
        case malformed
        case badSignature
        case wrongIssuer
        case expired
        case notYetValid
        case wrongAudience
    }

    /// The claims of a token this issuer signed, checked for issuer and signature only.
    public func verifiedClaims(_ token: String) throws(Rejection) -> ServiceAccountClaims {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let header = Base64URL.decode(parts[0]), let payload = Base64URL.decode(parts[1]),
            let signatureBytes = Base64URL.decode(parts[2]), let headerJSON = try? JSON(parsing: header), headerJSON["alg"].string == "ES256"
        else { throw .malformed }
        guard let signature = try? P256.Signing.ECDSASignature(rawRepresentation: signatureBytes),
            let key = try? P256.Signing.PublicKey(x963Representation: publicKey),
            key.isValidSignature(signature, for: Array(token.utf8[..<parts[1].endIndex]))
        else { throw .badSignature }
        guard let json = try? JSON(parsing: payload), let claims = ServiceAccountClaims(json: json) else { throw .malformed }
        guard claims.issuer == issuer else { throw .wrongIssuer }
        return claims
    }

    /// Whether verified claims hold at `now` (seconds since the epoch) for one of `audiences`.
    public static func check(_ claims: ServiceAccountClaims, now: Int64, audiences: [String]) throws(Rejection) {
        // Kubernetes allows a minute of clock skew on nbf and iat, none on exp.
        guard now < claims.expires else { throw .expired }
        guard claims.notBefore <= now + 60 else { throw .notYetValid }
        guard claims.audiences.contains(where: audiences.contains) else { throw .wrongAudience }
    }

    /// `/.well-known/openid-configuration`.
    public func openIDConfiguration(jwksURI: String) -> JSON {
        [
            "issuer": .string(issuer), "jwks_uri": .string(jwksURI), "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["ES256"],
        ]
    }

    /// `/openid/v1/jwks`: the public key as a JWK set.
    public var keySet: JSON {
        let x = Array(publicKey[1..<33])  // 0x04 || X || Y
        let y = Array(publicKey[33..<65])
        return [
            "keys": [
                [
                    "use": "sig", "kty": "EC", "kid": .string(keyID), "crv": "P-256", "alg": "ES256", "x": .string(Base64URL.encode(x)),
                    "y": .string(Base64URL.encode(y)),
                ]
            ]
        ]
    }
}

/// base64url without padding (RFC 4648 §5), as JWS uses it.
enum Base64URL {
    static func encode(_ bytes: [UInt8]) -> String {
        var text = Base64.encode(bytes)
        while text.last == "=" { text.removeLast() }
        return String(text.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
    }

    static func decode(_ text: Substring) -> [UInt8]? {
        var standard = String(text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        guard !standard.contains("=") else { return nil }
        while standard.utf8.count % 4 != 0 { standard += "=" }
        return Base64.decode(standard)
    }
}
