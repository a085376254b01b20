import Crypto
import Foundation
import SkiffAPI
import Testing

@testable import SkiffAPIServer

/// Bound service-account tokens as JWTs: ES256 signatures, the claims Kubernetes writes, and the
/// checks on issuer, expiry, not-before and audience.
@Suite struct ServiceAccountIssuerTests {
    static let now: Int64 = 1_800_000_000

    static func claims(audiences: [String] = [ServiceAccountIssuer.defaultIssuer], expires: Int64 = now + 3600) -> ServiceAccountClaims {
        ServiceAccountClaims(
            issuer: ServiceAccountIssuer.defaultIssuer, audiences: audiences, expires: expires, issuedAt: now, notBefore: now, namespace: "team",
            serviceAccountName: "robot", serviceAccountUID: "sa-uid", pod: .init(name: "worker", uid: "pod-uid"))
    }

    static func segment(_ token: String, _ index: Int) throws -> JSON {
        let part = token.split(separator: ".", omittingEmptySubsequences: false)[index]
        return try JSON(parsing: try #require(Base64URL.decode(part)))
    }

    @Test("a signed token verifies and carries Kubernetes' claims: sub, aud, exp, iat, nbf and kubernetes.io")
    func signAndVerify() throws {
        let issuer = ServiceAccountIssuer(key: P256.Signing.PrivateKey())
        let token = try issuer.sign(Self.claims())
        #expect(try issuer.verifiedClaims(token) == Self.claims())
        let header = try Self.segment(token, 0)
        #expect(header["alg"].string == "ES256")
        #expect(header["kid"].string == issuer.keyID)
        let payload = try Self.segment(token, 1)
        #expect(payload["iss"].string == "https://kubernetes.default.svc.cluster.local")
        #expect(payload["sub"].string == "system:serviceaccount:team:robot")
        #expect(payload["aud"] == ["https://kubernetes.default.svc.cluster.local"])
        #expect(payload["exp"].int == Self.now + 3600)
        #expect(payload["iat"].int == Self.now)
        #expect(payload["nbf"].int == Self.now)
        #expect(payload["kubernetes.io"]["namespace"].string == "team")
        #expect(payload["kubernetes.io"]["serviceaccount"] == ["name": "robot", "uid": "sa-uid"])
        #expect(payload["kubernetes.io"]["pod"] == ["name": "worker", "uid": "pod-uid"])
        let user = Self.claims().user
        #expect(user.name == "system:serviceaccount:team:robot")
        #expect(user.groups == ["system:serviceaccounts", "system:serviceaccounts:team", "system:authenticated"])
    }

    @Test("a token from another key, or with its payload changed, does not verify")
    func forgedTokensFail() throws {
        let issuer = ServiceAccountIssuer(key: P256.Signing.PrivateKey())
        let other = ServiceAccountIssuer(key: P256.Signing.PrivateKey())
        #expect(throws: ServiceAccountIssuer.Rejection.badSignature) { try issuer.verifiedClaims(try other.sign(Self.claims())) }
        let parts = try issuer.sign(Self.claims()).split(separator: ".").map(String.init)
        var changed = Self.claims()
        changed.serviceAccountName = "admin"
        let tampered = [parts[0], Base64URL.encode(changed.json.bytes), parts[2]].joined(separator: ".")
        #expect(throws: ServiceAccountIssuer.Rejection.badSignature) { try issuer.verifiedClaims(tampered) }
        #expect(throws: ServiceAccountIssuer.Rejection.malformed) { try issuer.verifiedClaims("eyJ.not.atoken") }
        let foreignIssuer = ServiceAccountIssuer(key: P256.Signing.PrivateKey(), issuer: "https://elsewhere")
        #expect(throws: ServiceAccountIssuer.Rejection.wrongIssuer) { try foreignIssuer.verifiedClaims(try foreignIssuer.sign(Self.claims())) }
    }

    @Test("expiry, not-before and audience are checked against the time and the API's audiences")
    func timeAndAudience() throws {
        let audiences = [ServiceAccountIssuer.defaultIssuer]
        try ServiceAccountIssuer.check(Self.claims(), now: Self.now + 10, audiences: audiences)
        #expect(throws: ServiceAccountIssuer.Rejection.expired) {
            try ServiceAccountIssuer.check(Self.claims(), now: Self.now + 3600, audiences: audiences)
        }
        #expect(throws: ServiceAccountIssuer.Rejection.notYetValid) {
            try ServiceAccountIssuer.check(Self.claims(), now: Self.now - 120, audiences: audiences)
        }
        #expect(throws: ServiceAccountIssuer.Rejection.wrongAudience) {
            try ServiceAccountIssuer.check(Self.claims(audiences: ["vault"]), now: Self.now, audiences: audiences)
        }
        try ServiceAccountIssuer.check(Self.claims(audiences: ["vault", ServiceAccountIssuer.defaultIssuer]), now: Self.now, audiences: audiences)
    }

    @Test("the JWKS document's key verifies the issuer's tokens")
    func keySetVerifies() throws {
        let issuer = ServiceAccountIssuer(key: P256.Signing.PrivateKey())
        let key = issuer.keySet["keys"][0]
        #expect(key["kty"].string == "EC")
        #expect(key["crv"].string == "P-256")
        #expect(key["alg"].string == "ES256")
        #expect(key["kid"].string == issuer.keyID)
        let x = try #require(key["x"].string.flatMap { Base64URL.decode(Substring($0)) })
        let y = try #require(key["y"].string.flatMap { Base64URL.decode(Substring($0)) })
        let publicKey = try P256.Signing.PublicKey(x963Representation: [0x04] + x + y)
        let token = try issuer.sign(Self.claims())
        let parts = token.split(separator: ".")
        let signature = try P256.Signing.ECDSASignature(rawRepresentation: try #require(Base64URL.decode(parts[2])))
        #expect(publicKey.isValidSignature(signature, for: Array("\(parts[0]).\(parts[1])".utf8)))
        let configuration = issuer.openIDConfiguration(jwksURI: "https://example/openid/v1/jwks")
        #expect(configuration["issuer"].string == issuer.issuer)
        #expect(configuration["id_token_signing_alg_values_supported"] == ["ES256"])
    }

    @Test("the key is made once in the pki directory (0600) and loaded again after")
    func keyPersists() throws {
        let directory = NSTemporaryDirectory() + "skiff-sa-key-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try ServiceAccountIssuer.loadOrCreate(pkiDirectory: directory)
        let second = try ServiceAccountIssuer.loadOrCreate(pkiDirectory: directory)
        #expect(first.keyID == second.keyID)
        let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/service-account.key")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try second.verifiedClaims(try first.sign(Self.claims())) == Self.claims())
    }
}
