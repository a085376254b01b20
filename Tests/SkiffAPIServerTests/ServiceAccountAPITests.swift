import Foundation
import SkiffAPI
import Testing

@testable import SkiffAPIServer

/// ServiceAccounts through the request path: the kind, the TokenRequest API, requests made with
/// the tokens (RBAC decides for `system:serviceaccount:NS:NAME`), tokens ending with their pod,
/// ServiceAccount admission and the issuer discovery documents.
@Suite struct ServiceAccountAPITests {
    static let accounts = "/api/v1/namespaces/default/serviceaccounts"

    static func tokenRequest(seconds: Int64? = nil, audiences: [String] = [], pod: (name: String, uid: String?)? = nil) -> JSON {
        var spec: JSON = .emptyObject
        if let seconds { spec["expirationSeconds"] = .int(seconds) }
        if !audiences.isEmpty { spec["audiences"] = .array(audiences.map(JSON.string)) }
        if let pod {
            spec["boundObjectRef"] = ["kind": "Pod", "apiVersion": "v1", "name": .string(pod.name)]
            if let uid = pod.uid { spec["boundObjectRef"]["uid"] = .string(uid) }
        }
        return ["apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec]
    }

    /// A token for `account` in default, as `kubectl create token` gets one.
    static func token(_ api: TestAPI, _ account: String, _ request: JSON = tokenRequest()) async throws -> String {
        let answer = try await api.call("POST", "\(accounts)/\(account)/token", request)
        #expect(answer.status == 201, "\(answer.body)")
        return try #require(answer.body["status"]["token"].string)
    }

    static func role(_ name: String, verbs: [String], resources: [String]) -> JSON {
        [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": ["name": .string(name)],
            "rules": [["apiGroups": [""], "resources": .array(resources.map(JSON.string)), "verbs": .array(verbs.map(JSON.string))]],
        ]
    }

    static func accountBinding(_ name: String, role: String, account: String) -> JSON {
        [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": ["name": .string(name)],
            "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": .string(role)],
            "subjects": [["kind": "ServiceAccount", "name": .string(account), "namespace": "default"]],
        ]
    }

    @Test("the API server makes the system namespaces' default ServiceAccounts; kubectl's columns and discovery list the kind and its token subresource")
    func kindAndDiscovery() async throws {
        let api = try await TestAPI()
        for namespace in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            #expect(try await api.call("GET", "/api/v1/namespaces/\(namespace)/serviceaccounts/default").status == 200)
        }
        #expect(try await api.call("POST", Self.accounts, ["metadata": ["name": "robot"]]).status == 201)
        let table = try await api.call("GET", Self.accounts, accept: "application/json;as=Table;v=v1;g=meta.k8s.io")
        #expect(table.body["columnDefinitions"].array?.map { $0["name"].string ?? "" } == ["Name", "Secrets", "Age"])
        let resources = try await api.call("GET", "/api/v1").body["resources"].array ?? []
        let account = resources.first { $0["name"].string == "serviceaccounts" }
        #expect(account?["shortNames"] == ["sa"])
        let token = resources.first { $0["name"].string == "serviceaccounts/token" }
        #expect(token?["kind"].string == "TokenRequest")
        #expect(token?["group"].string == "authentication.k8s.io")
        #expect(token?["verbs"] == ["create"])
    }

    @Test("a requested token authenticates as system:serviceaccount:NS:NAME and RBAC decides: get pods allowed, list secrets is a 403 naming the user")
    func tokenIsAUser() async throws {
        let api = try await TestAPI()
        #expect(try await api.call("POST", Self.accounts, ["metadata": ["name": "robot"]]).status == 201)
        #expect(
            try await api.call(
                "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles", Self.role("pod-reader", verbs: ["get"], resources: ["pods"])
            ).status == 201)
        #expect(
            try await api.call(
                "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings",
                Self.accountBinding("robot-reads", role: "pod-reader", account: "robot")
            ).status == 201)
        #expect(try await api.call("POST", "/api/v1/namespaces/default/pods", TestAPI.pod("web")).status == 201)
        let answer = try await api.call("POST", "\(Self.accounts)/robot/token", Self.tokenRequest(seconds: 600))
        #expect(answer.status == 201)
        #expect(answer.body["kind"].string == "TokenRequest")
        #expect(answer.body["spec"]["expirationSeconds"].int == 600)
        #expect(answer.body["spec"]["audiences"] == ["https://kubernetes.default.svc.cluster.local"])
        let expiry = try #require(answer.body["status"]["expirationTimestamp"].string.flatMap(Timestamp.parse))
        #expect(abs(expiry.timeIntervalSinceNow - 600) < 5)
        let token = try #require(answer.body["status"]["token"].string)
        #expect(try await api.call("GET", "/api/v1/namespaces/default/pods/web", token: token).status == 200)
        // The scheme is case-insensitive: the Python client's in-cluster config sends "bearer".
        let lowercase = await api.api.handle(
            APIRequest(method: "GET", path: "/api/v1/namespaces/default/pods/web", headers: ["authorization": "bearer \(token)"]))
        #expect(lowercase.status == 200)
        let secrets = try await api.call("GET", "/api/v1/namespaces/default/secrets", token: token)
        #expect(secrets.status == 403)
        #expect(
            secrets.body["message"].string
                == #"secrets is forbidden: User "system:serviceaccount:default:robot" cannot list resource "secrets" in API group "" in the namespace "default""#
        )
        // Access reviews made with the token answer for the ServiceAccount.
        let review = try await api.call(
            "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            [
                "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                "spec": ["resourceAttributes": ["verb": "get", "resource": "pods", "namespace": "default"]],
            ],
            token: token)
        #expect(review.body["status"]["allowed"] == true)
        // `kubectl auth whoami`'s SelfSubjectReview names the ServiceAccount's user, uid and groups.
        let whoami = try await api.call(
            "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", ["apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"],
            token: token)
        #expect(whoami.status == 201)
        let account = try await api.call("GET", "\(Self.accounts)/robot").body
        #expect(
            whoami.body["status"]["userInfo"]
                == [
                    "username": "system:serviceaccount:default:robot", "uid": account["metadata"]["uid"],
                    "groups": ["system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"],
                ])
    }

    @Test("a token bound to a pod stops working when the pod is deleted, and when its ServiceAccount is replaced")
    func boundTokensEndWithTheirObjects() async throws {
        let api = try await TestAPI()
        #expect(try await api.call("POST", Self.accounts, ["metadata": ["name": "robot"]]).status == 201)
        var pod = TestAPI.pod("worker")
        pod["spec"]["serviceAccountName"] = "robot"
        let created = try await api.call("POST", "/api/v1/namespaces/default/pods", pod)
        let uid = try #require(created.body["metadata"]["uid"].string)
        // The cache of uids, as the server runs it.
        let cache = Task { [api] in try await api.api.boundObjects.follow(CoreResources.pod, api.api) }
        defer { cache.cancel() }
        let answer = try await api.call("POST", "\(Self.accounts)/robot/token", Self.tokenRequest(pod: ("worker", uid)))
        #expect(answer.body["spec"]["boundObjectRef"]["uid"].string == uid)
        let token = try #require(answer.body["status"]["token"].string)
        #expect(try await api.call("GET", "/api/v1/namespaces/default", token: token).status != 401)
        // A token issued over a minute ago is checked against the cache alone.
        let issuer = api.api.authenticator.serviceAccounts.issuer
        let account = try await api.call("GET", "\(Self.accounts)/robot").body
        let then = Int64(Date().timeIntervalSince1970) - 120
        let older = try issuer.sign(
            ServiceAccountClaims(
                issuer: issuer.issuer, audiences: issuer.apiAudiences, expires: then + 3600, issuedAt: then, notBefore: then, namespace: "default",
                serviceAccountName: "robot", serviceAccountUID: account["metadata"]["uid"].string ?? "", pod: .init(name: "worker", uid: uid)))
        #expect(try await api.eventually { try await api.call("GET", "/api/v1/namespaces/default", token: older).status != 401 })
        #expect(try await api.call("DELETE", "/api/v1/namespaces/default/pods/worker", query: ["gracePeriodSeconds": "0"]).status == 200)
        #expect(try await api.eventually { try await api.call("GET", "/api/v1/namespaces/default", token: token).status == 401 })
        #expect(try await api.eventually { try await api.call("GET", "/api/v1/namespaces/default", token: older).status == 401 })
        // A pod of the same name is another pod: the token stays dead.
        #expect(try await api.call("POST", "/api/v1/namespaces/default/pods", pod).status == 201)
        #expect(
            try await api.eventually {
                api.api.boundObjects.lookup(CoreResources.pod.key(namespace: "default", name: "worker"), prefix: CoreResources.pod.prefix(namespace: nil))
                    != .missing
            })
        #expect(try await api.call("GET", "/api/v1/namespaces/default", token: token).status == 401)
        // An unbound token ends with its ServiceAccount.
        let unbound = try await Self.token(api, "robot")
        #expect(try await api.call("GET", "/api/v1/namespaces/default", token: unbound).status != 401)
        #expect(try await api.call("DELETE", "\(Self.accounts)/robot").status == 200)
        #expect(try await api.call("POST", Self.accounts, ["metadata": ["name": "robot"]]).status == 201)
        #expect(try await api.call("GET", "/api/v1/namespaces/default", token: unbound).status == 401)
    }

    @Test("TokenRequest refuses short durations, missing accounts and pods, another uid, and a pod of another account")
    func tokenRequestChecks() async throws {
        let api = try await TestAPI()
        #expect(try await api.call("POST", Self.accounts, ["metadata": ["name": "robot"]]).status == 201)
        let short = try await api.call("POST", "\(Self.accounts)/robot/token", Self.tokenRequest(seconds: 60))
        #expect(short.status == 422)
        #expect(short.body["message"].string?.contains("may not specify a duration less than 10 minutes") == true)
        #expect(try await api.call("POST", "\(Self.accounts)/ghost/token", Self.tokenRequest()).status == 404)
        #expect(try await api.call("POST", "\(Self.accounts)/robot/token", Self.tokenRequest(pod: ("nothing", nil))).status == 404)
        #expect(try await api.call("POST", "/api/v1/namespaces/default/pods", TestAPI.pod("web")).status == 201)
        #expect(try await api.call("POST", "\(Self.accounts)/robot/token", Self.tokenRequest(pod: ("web", "not-its-uid"))).status == 409)
        // web runs as default, not robot.
        #expect(try await api.call("POST", "\(Self.accounts)/robot/token", Self.tokenRequest(pod: ("web", nil))).status == 400)
    }

    @Test("a token for another audience, or expired, is refused")
    func audienceAndExpiry() async throws {
        let api = try await TestAPI()
        #expect(try await api.call("POST", Self.accounts, ["metadata": ["name": "robot"]]).status == 201)
        let vault = try await Self.token(api, "robot", Self.tokenRequest(audiences: ["vault"]))
        #expect(try await api.call("GET", "/api/v1/namespaces/default", token: vault).status == 401)
        let account = try await api.call("GET", "\(Self.accounts)/robot").body
        let issuer = api.api.authenticator.serviceAccounts.issuer
        let past = Int64(Date().timeIntervalSince1970) - 7200
        let expired = try issuer.sign(
            ServiceAccountClaims(
                issuer: issuer.issuer, audiences: issuer.apiAudiences, expires: past + 3600, issuedAt: past, notBefore: past, namespace: "default",
                serviceAccountName: "robot", serviceAccountUID: account["metadata"]["uid"].string ?? ""))
        #expect(try await api.call("GET", "/api/v1/namespaces/default", token: expired).status == 401)
    }

    @Test("a node requests tokens only for pods bound to it, for their own ServiceAccount")
    func nodeTokenRequests() async throws {
        let api = try await TestAPI()
        let nodeToken = Authenticator.nodeToken(joinToken: TestAPI.joinToken, nodeName: "n1")
        #expect(try await api.call("POST", "/api/v1/namespaces/default/pods", TestAPI.pod("mine", node: "n1")).status == 201)
        #expect(try await api.call("POST", "/api/v1/namespaces/default/pods", TestAPI.pod("theirs", node: "n2")).status == 201)
        #expect(try await api.call("POST", "\(Self.accounts)/default/token", Self.tokenRequest(pod: ("mine", nil)), token: nodeToken).status == 201)
        #expect(try await api.call("POST", "\(Self.accounts)/default/token", Self.tokenRequest(pod: ("theirs", nil)), token: nodeToken).status == 403)
        #expect(try await api.call("POST", "\(Self.accounts)/default/token", Self.tokenRequest(), token: nodeToken).status == 403)
    }

    @Test("admission: a pod gets the default ServiceAccount and the kube-api-access volume in every container; a missing account is refused")
    func admission() async throws {
        let api = try await TestAPI(serviceAccountAdmission: true)
        var pod = TestAPI.pod("web")
        pod["spec"]["initContainers"] = [["name": "setup", "image": "busybox:1.36"]]
        let created = try await api.call("POST", "/api/v1/namespaces/default/pods", pod)
        #expect(created.status == 201, "\(created.body)")
        let spec = created.body["spec"]
        #expect(spec["serviceAccountName"].string == "default")
        let volume = try #require(spec["volumes"].array?.first)
        let name = try #require(volume["name"].string)
        #expect(name.hasPrefix("kube-api-access-") && name.count == "kube-api-access-".count + 5)
        #expect(volume["projected"]["defaultMode"].int == 420)
        let sources = volume["projected"]["sources"]
        #expect(sources[0]["serviceAccountToken"] == ["expirationSeconds": 3607, "path": "token"])
        #expect(sources[1]["configMap"] == ["name": "kube-root-ca.crt", "items": [["key": "ca.crt", "path": "ca.crt"]]])
        #expect(sources[2]["downwardAPI"]["items"][0]["fieldRef"]["fieldPath"].string == "metadata.namespace")
        for field in ["initContainers", "containers"] {
            #expect(
                spec[field][0]["volumeMounts"]
                    == [["name": .string(name), "readOnly": true, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"]])
        }
        var missing = TestAPI.pod("lost")
        missing["spec"]["serviceAccountName"] = "ghost"
        let refused = try await api.call("POST", "/api/v1/namespaces/default/pods", missing)
        #expect(refused.status == 403)
        #expect(
            refused.body["message"].string
                == #"pods "lost" is forbidden: error looking up service account default/ghost: serviceaccount "ghost" not found"#)
    }

    @Test("automountServiceAccountToken: false on the pod or on its ServiceAccount means no token volume; the pod's word wins")
    func automountOptOut() async throws {
        let api = try await TestAPI(serviceAccountAdmission: true)
        var quiet = TestAPI.pod("quiet")
        quiet["spec"]["automountServiceAccountToken"] = false
        #expect(try await api.call("POST", "/api/v1/namespaces/default/pods", quiet).body["spec"]["volumes"].isNull)
        #expect(try await api.call("POST", Self.accounts, ["metadata": ["name": "shy"], "automountServiceAccountToken": false]).status == 201)
        var shy = TestAPI.pod("shy")
        shy["spec"]["serviceAccountName"] = "shy"
        #expect(try await api.call("POST", "/api/v1/namespaces/default/pods", shy).body["spec"]["volumes"].isNull)
        var insists = TestAPI.pod("insists")
        insists["spec"]["serviceAccountName"] = "shy"
        insists["spec"]["automountServiceAccountToken"] = true
        #expect(try await api.call("POST", "/api/v1/namespaces/default/pods", insists).body["spec"]["volumes"].array?.count == 1)
    }

    @Test("the issuer discovery documents: the OpenID configuration names the issuer and JWKS; service accounts may read them")
    func issuerDiscovery() async throws {
        let api = try await TestAPI()
        let configuration = try await api.call("GET", "/.well-known/openid-configuration")
        #expect(configuration.status == 200)
        #expect(configuration.body["issuer"].string == "https://kubernetes.default.svc.cluster.local")
        #expect(configuration.body["jwks_uri"].string == "https://kubernetes.default.svc.cluster.local/openid/v1/jwks")
        let keys = try await api.call("GET", "/openid/v1/jwks")
        #expect(keys.status == 200)
        #expect(keys.body["keys"][0]["kid"].string == api.api.authenticator.serviceAccounts.issuer.keyID)
        let token = try await Self.token(api, "default")
        #expect(try await api.call("GET", "/openid/v1/jwks", token: token).status == 200)
        #expect(try await api.call("GET", "/.well-known/openid-configuration", token: token).status == 200)
        #expect(try await api.call("GET", "/openid/v1/jwks", token: nil).status == 401)
    }
}
