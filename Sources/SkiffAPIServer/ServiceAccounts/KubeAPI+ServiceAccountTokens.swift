import Foundation
import SkiffAPI

/// Bound service-account tokens: authenticating them (signature, time and audience from
/// `ServiceAccountTokens`, then the objects they are bound to from `BoundObjectCache`), the
/// TokenRequest API (`POST …/serviceaccounts/NAME/token`) and the issuer discovery documents.
extension KubeAPI {
    /// The request's identity: the admin or node token, a client certificate, or a
    /// service-account token whose ServiceAccount (and pod, when bound to one) still exist.
    func identify(_ request: APIRequest) async throws -> Identity? {
        if let identity = authenticator.identify(request) { return identity }
        guard let authorization = request.headers["authorization"], let token = Authenticator.bearerToken(authorization),
            ServiceAccountTokens.looksLikeJWT(token)
        else { return nil }
        let now = Int64(Date().timeIntervalSince1970)
        guard let claims = try? authenticator.serviceAccounts.claims(token, now: now), try await isBound(claims, now: now) else { return nil }
        return .user(claims.user)
    }

    /// Whether the token's ServiceAccount, and its pod when it names one, exist with the uids it
    /// names. The cache answers; only a token issued in the last minute whose objects the cache
    /// lacks has them read from the store (they may have been created just before it, faster
    /// than the cache's watch), so a dead token costs no store read for long.
    func isBound(_ claims: ServiceAccountClaims, now: Int64) async throws -> Bool {
        let recent = now - claims.issuedAt < 60
        let accountKey = CoreResources.serviceAccount.key(namespace: claims.namespace, name: claims.serviceAccountName)
        let account = try await boundObjects.entry(accountKey, definition: CoreResources.serviceAccount, self, confirmMissing: recent)
        guard account?.uid == claims.serviceAccountUID else { return false }
        guard let pod = claims.pod else { return true }
        let podKey = CoreResources.pod.key(namespace: claims.namespace, name: pod.name)
        return try await boundObjects.entry(podKey, definition: CoreResources.pod, self, confirmMissing: recent)?.uid == pod.uid
    }

    /// kube-apiserver's defaults: an hour, and at least ten minutes.
    static let defaultTokenSeconds: Int64 = 3600
    static let minimumTokenSeconds: Int64 = 600

    /// `POST /api/v1/namespaces/NS/serviceaccounts/NAME/token`: a token for the ServiceAccount,
    /// for the requested audiences and duration, bound to a pod when `boundObjectRef` names one.
    func createToken(_ target: Target, _ request: APIRequest) async throws -> APIResponse {
        guard let namespace = target.namespace, let name = target.name else { throw Self.pathNotFound }
        let body = try Self.parseBody(request)
        guard let stored = try await storeGet(target.definition.key(namespace: namespace, name: name)) else {
            throw APIError.notFound(target.definition.naming, name: name)
        }
        let account = try decode(stored)
        let spec = body["spec"]
        let seconds = spec["expirationSeconds"].int ?? Self.defaultTokenSeconds
        guard seconds >= Self.minimumTokenSeconds else {
            throw APIError.invalid(
                kind: "TokenRequest", name: name,
                causes: [("spec.expirationSeconds", "Invalid value: \(seconds): may not specify a duration less than 10 minutes")])
        }
        let issuer = authenticator.serviceAccounts.issuer
        var audiences = (spec["audiences"].array ?? []).compactMap(\.string)
        if audiences.isEmpty { audiences = issuer.apiAudiences }
        var bound: ServiceAccountClaims.BoundObject?
        var boundReference = JSON.null
        let reference = spec["boundObjectRef"]
        if !reference.isNull {
            bound = try await boundPod(reference, namespace: namespace, accountName: name)
            boundReference = ["kind": "Pod", "apiVersion": "v1", "name": .string(bound?.name ?? ""), "uid": .string(bound?.uid ?? "")]
        }
        let now = Int64(Date().timeIntervalSince1970)
        let claims = ServiceAccountClaims(
            issuer: issuer.issuer, audiences: audiences, expires: now + seconds, issuedAt: now, notBefore: now, namespace: namespace,
            serviceAccountName: name, serviceAccountUID: account["metadata"]["uid"].string ?? "", pod: bound)
        let token = try issuer.sign(claims)
        var answerSpec: JSON = ["audiences": .array(audiences.map(JSON.string)), "expirationSeconds": .int(seconds)]
        if !boundReference.isNull { answerSpec["boundObjectRef"] = boundReference }
        return .json(
            [
                "kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
                "metadata": ["name": .string(name), "namespace": .string(namespace), "creationTimestamp": .null],
                "spec": answerSpec,
                "status": [
                    "token": .string(token), "expirationTimestamp": .string(Timestamp.string(Date(timeIntervalSince1970: Double(now + seconds)))),
                ],
            ], status: 201)
    }

    /// The pod a TokenRequest binds to: it must exist (with the uid given, if any) and run as
    /// the ServiceAccount, as kube-apiserver checks.
    func boundPod(_ reference: JSON, namespace: String, accountName: String) async throws -> ServiceAccountClaims.BoundObject {
        let kind = reference["kind"].string ?? ""
        guard kind == "Pod", (reference["apiVersion"].string ?? "v1") == "v1" else {
            throw APIError.badRequest("cannot bind token to object of type \(reference["apiVersion"].string ?? "")/\(kind): only v1 Pods are supported")
        }
        let podName = reference["name"].string ?? ""
        guard let stored = try await storeGet(CoreResources.pod.key(namespace: namespace, name: podName)) else {
            throw APIError.notFound(CoreResources.pod.naming, name: podName)
        }
        let pod = try decode(stored)
        let uid = pod["metadata"]["uid"].string ?? ""
        if let wanted = reference["uid"].string, !wanted.isEmpty, wanted != uid {
            throw APIError.conflict(CoreResources.pod.naming, name: podName)
        }
        let podAccount = pod["spec"]["serviceAccountName"].string ?? "default"
        guard podAccount == accountName else {
            throw APIError.badRequest("cannot bind token for serviceaccount \"\(accountName)\" to pod running with different serviceaccount name.")
        }
        return .init(name: podName, uid: uid)
    }

    /// `/.well-known/openid-configuration` and `/openid/v1/jwks`, or nil for other paths.
    /// The JWKS URI is the issuer's, as kube-apiserver derives it without `--service-account-jwks-uri`.
    func serviceAccountIssuerDocument(_ segments: [String]) -> APIResponse? {
        let issuer = authenticator.serviceAccounts.issuer
        switch segments {
        case [".well-known", "openid-configuration"]:
            return .json(issuer.openIDConfiguration(jwksURI: issuer.issuer + "/openid/v1/jwks"))
        case ["openid", "v1", "jwks"]:
            return .json(issuer.keySet, contentType: "application/jwk-set+json")
        default:
            return nil
        }
    }
}
