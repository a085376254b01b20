import SkiffAPI

/// The claims of a bound service-account token, as kube-apiserver writes them: the standard
/// `iss`, `sub`, `aud`, `exp`, `iat`, `nbf`, and the `kubernetes.io` claim naming the namespace,
/// the ServiceAccount (name and uid) and, for a token bound to a pod, the pod (name and uid).
public struct ServiceAccountClaims: Sendable, Equatable {
    public var issuer: String
    public var audiences: [String]
    /// Seconds since the epoch.
    public var expires: Int64
    public var issuedAt: Int64
    public var notBefore: Int64
    public var namespace: String
    public var serviceAccountName: String
    public var serviceAccountUID: String
    /// The pod the token is bound to, if any: deleting it (or replacing it) ends the token.
    public var pod: BoundObject?

    public struct BoundObject: Sendable, Equatable {
        public var name: String
        public var uid: String

        public init(name: String, uid: String) {
            self.name = name
            self.uid = uid
        }
    }

    public init(
        issuer: String, audiences: [String], expires: Int64, issuedAt: Int64, notBefore: Int64, namespace: String, serviceAccountName: String,
        serviceAccountUID: String, pod: BoundObject? = nil
    ) {
        self.issuer = issuer
        self.audiences = audiences
        self.expires = expires
        self.issuedAt = issuedAt
        self.notBefore = notBefore
        self.namespace = namespace
        self.serviceAccountName = serviceAccountName
        self.serviceAccountUID = serviceAccountUID
        self.pod = pod
    }

    /// `system:serviceaccount:NS:NAME`, the token's user.
    public var subject: String { Self.userName(namespace: namespace, name: serviceAccountName) }

    public static func userName(namespace: String, name: String) -> String { "system:serviceaccount:\(namespace):\(name)" }

    /// The user a valid token authenticates as, with Kubernetes' service-account groups.
    public var user: UserInfo {
        UserInfo(name: subject, uid: serviceAccountUID, groups: [Self.allServiceAccountsGroup, "\(Self.allServiceAccountsGroup):\(namespace)"])
    }

    /// The group of every service account.
    public static let allServiceAccountsGroup = "system:serviceaccounts"

    var json: JSON {
        var kubernetes: JSON = [
            "namespace": .string(namespace), "serviceaccount": ["name": .string(serviceAccountName), "uid": .string(serviceAccountUID)],
        ]
        if let pod { kubernetes["pod"] = ["name": .string(pod.name), "uid": .string(pod.uid)] }
        return [
            "iss": .string(issuer), "sub": .string(subject), "aud": .array(audiences.map(JSON.string)), "exp": .int(expires), "iat": .int(issuedAt),
            "nbf": .int(notBefore), "kubernetes.io": kubernetes,
        ]
    }

    init?(json: JSON) {
        let kubernetes = json["kubernetes.io"]
        // `aud` may be one string or a list (RFC 7519 §4.1.3).
        let audiences = json["aud"].string.map { [$0] } ?? (json["aud"].array ?? []).compactMap(\.string)
        guard let issuer = json["iss"].string, let expires = json["exp"].int, let namespace = kubernetes["namespace"].string,
            let name = kubernetes["serviceaccount"]["name"].string, let uid = kubernetes["serviceaccount"]["uid"].string,
            json["sub"].string == Self.userName(namespace: namespace, name: name)
        else { return nil }
        self.init(
            issuer: issuer, audiences: audiences, expires: expires, issuedAt: json["iat"].int ?? 0, notBefore: json["nbf"].int ?? 0,
            namespace: namespace, serviceAccountName: name, serviceAccountUID: uid)
        if let podName = kubernetes["pod"]["name"].string, let podUID = kubernetes["pod"]["uid"].string {
            pod = BoundObject(name: podName, uid: podUID)
        }
    }
}
