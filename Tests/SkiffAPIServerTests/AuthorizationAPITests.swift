import Foundation
import SkiffAPI
import Testing

@testable import SkiffAPIServer

/// Users through the whole request path: client certificates, RBAC decisions on requests,
/// impersonation and the access reviews `kubectl auth can-i` asks.
@Suite struct AuthorizationAPITests {
    static func binding(_ name: String, namespace: String, role: String, user: String) -> JSON {
        [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": ["name": .string(name)],
            "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": .string(role)],
            "subjects": [["apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": .string(user)]],
        ]
    }

    /// A request as `user` (impersonated by the admin token: what `--as` does).
    func call(_ api: TestAPI, as user: String, _ method: String, _ path: String, _ body: JSON? = nil) async -> (status: Int, body: JSON) {
        let response = await api.api.handle(
            APIRequest(
                method: method, path: path,
                headers: ["authorization": "Bearer \(TestAPI.adminToken)", "impersonate-user": user, "content-type": "application/json"],
                body: body?.bytes ?? []))
        return (response.status, (try? JSON(parsing: response.bodyBytes)) ?? .null)
    }

    /// The DER a TLS handshake would hand over for a PEM certificate.
    static func der(_ pem: String) -> [UInt8] {
        let body = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        return Array(Data(base64Encoded: body) ?? Data())
    }

    static let configMap: JSON = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "settings"], "data": ["a": "b"]]

    @Test("a view user reads its namespace and nothing else; an edit user writes; the 403 says who and what")
    func roleBindingsDecide() async throws {
        let api = try await TestAPI()
        for namespace in ["team", "other"] {
            #expect(try await api.call("POST", "/api/v1/namespaces", ["metadata": ["name": .string(namespace)]]).status == 201)
        }
        #expect(
            try await api.call(
                "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings", Self.binding("v", namespace: "team", role: "view", user: "vera")
            ).status == 201)
        #expect(
            try await api.call(
                "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings", Self.binding("e", namespace: "team", role: "edit", user: "ed")
            ).status == 201)
        #expect(await call(api, as: "vera", "GET", "/api/v1/namespaces/team/pods").status == 200)
        let denied = await call(api, as: "vera", "POST", "/api/v1/namespaces/team/configmaps", Self.configMap)
        #expect(denied.status == 403)
        #expect(denied.body["reason"].string == "Forbidden")
        #expect(
            denied.body["message"].string
                == #"configmaps is forbidden: User "vera" cannot create resource "configmaps" in API group "" in the namespace "team""#)
        #expect(await call(api, as: "ed", "POST", "/api/v1/namespaces/team/configmaps", Self.configMap).status == 201)
        #expect(await call(api, as: "ed", "GET", "/api/v1/namespaces/team/secrets").status == 200)
        #expect(await call(api, as: "vera", "GET", "/api/v1/namespaces/team/secrets").status == 403)
        for user in ["vera", "ed"] {
            let other = await call(api, as: user, "GET", "/api/v1/namespaces/other/pods")
            #expect(other.status == 403)
            #expect(other.body["message"].string == #"pods is forbidden: User "\#(user)" cannot list resource "pods" in API group "" in the namespace "other""#)
        }
        // Reading its own namespace object is in the namespace; listing all is not.
        #expect(await call(api, as: "vera", "GET", "/api/v1/namespaces/team").status == 200)
        #expect(await call(api, as: "vera", "GET", "/api/v1/namespaces").status == 403)
        // Discovery is every authenticated user's.
        #expect(await call(api, as: "vera", "GET", "/apis").status == 200)
        #expect(await call(api, as: "nobody", "GET", "/api/v1/namespaces/team/pods").status == 403)
    }

    @Test("a client certificate from the cluster CA is a user: CN the name, O the groups; system:masters may do anything")
    func clientCertificates() async throws {
        let api = try await TestAPI()
        let pki = api.directory + "/pki"
        _ = try ClusterPKI.loadOrCreate(directory: pki)
        let admin = try ClusterPKI.issueClientCertificate(directory: pki, user: "system:admin", groups: ["system:masters"])
        let jane = try ClusterPKI.issueClientCertificate(directory: pki, user: "jane", groups: ["devs", "qa"])
        let janeIdentity = api.api.authenticator.identify(APIRequest(method: "GET", path: "/", clientCertificate: Self.der(jane.certificatePEM)))
        #expect(janeIdentity == .user(UserInfo(name: "jane", groups: ["devs", "qa", "system:authenticated"])))
        // A token wins over a certificate on the same request.
        let both = APIRequest(
            method: "GET", path: "/", headers: ["authorization": "Bearer \(TestAPI.adminToken)"], clientCertificate: Self.der(jane.certificatePEM))
        #expect(api.api.authenticator.identify(both) == .admin)
        let asAdmin = await api.api.handle(
            APIRequest(method: "DELETE", path: "/api/v1/namespaces/default/services/kubernetes", clientCertificate: Self.der(admin.certificatePEM)))
        #expect(asAdmin.status == 200)
        let asJane = await api.api.handle(APIRequest(method: "GET", path: "/api/v1/nodes", clientCertificate: Self.der(jane.certificatePEM)))
        #expect(asJane.status == 403)
        #expect(
            try JSON(parsing: asJane.bodyBytes)["message"].string
                == #"nodes is forbidden: User "jane" cannot list resource "nodes" in API group "" at the cluster scope"#)
    }

    @Test("impersonation needs the impersonate verb: admins have it, a user bound to edit does not")
    func impersonation() async throws {
        let api = try await TestAPI()
        #expect(
            try await api.call(
                "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings", Self.binding("e", namespace: "default", role: "edit", user: "ed")
            ).status == 201)
        let ssar: JSON = [
            "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
            "spec": ["resourceAttributes": ["namespace": "default", "verb": "create", "resource": "pods"]],
        ]
        let asEd = await call(api, as: "ed", "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", ssar)
        #expect(asEd.status == 201)
        #expect(asEd.body["status"]["allowed"].bool == true)
        // ed, with its own certificate, may not act as someone else.
        let pki = api.directory + "/pki"
        _ = try ClusterPKI.loadOrCreate(directory: pki)
        let ed = try ClusterPKI.issueClientCertificate(directory: pki, user: "ed", groups: [])
        let byEd = await api.api.handle(
            APIRequest(
                method: "GET", path: "/api/v1/namespaces/default/pods", headers: ["impersonate-user": "vera"], clientCertificate: Self.der(ed.certificatePEM)))
        #expect(byEd.status == 403)
        #expect(
            try JSON(parsing: byEd.bodyBytes)["message"].string
                == #"users "vera" is forbidden: User "ed" cannot impersonate resource "users" in API group "" at the cluster scope"#)
        let groupOnly = await api.api.handle(
            APIRequest(method: "GET", path: "/api/v1/pods", headers: ["authorization": "Bearer \(TestAPI.adminToken)", "impersonate-group": "devs"]))
        #expect(groupOnly.status == 400)
        let withMasters = await api.api.handle(
            APIRequest(
                method: "GET", path: "/api/v1/nodes",
                headers: ["authorization": "Bearer \(TestAPI.adminToken)", "impersonate-user": "x", "impersonate-group": "system:masters, devs"]))
        #expect(withMasters.status == 200)
        let joinToken = Authenticator.nodeToken(joinToken: TestAPI.joinToken, nodeName: "n1")
        let byNode = await api.api.handle(
            APIRequest(method: "GET", path: "/api/v1/pods", headers: ["authorization": "Bearer \(joinToken)", "impersonate-user": "ed"]))
        #expect(byNode.status == 403)
        #expect(
            try JSON(parsing: byNode.bodyBytes)["message"].string
                == #"users "ed" is forbidden: User "system:node:n1" cannot impersonate resource "users" in API group "" at the cluster scope"#)
    }

    @Test("access reviews answer for oneself, for another subject, and list one's rules")
    func accessReviews() async throws {
        let api = try await TestAPI()
        #expect(
            try await api.call(
                "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings",
                Self.binding("v", namespace: "default", role: "view", user: "vera")
            ).status == 201)
        let sar: JSON = [
            "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
            "spec": ["user": "vera", "resourceAttributes": ["namespace": "default", "verb": "delete", "resource": "pods"]],
        ]
        let denied = try await api.call("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", sar)
        #expect(denied.status == 201)
        #expect(denied.body["status"]["allowed"].bool == false)
        #expect(denied.body["status"]["reason"].isNull)
        var get = sar
        get["spec"]["resourceAttributes"]["verb"] = "get"
        #expect(try await api.call("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", get).body["status"]["allowed"].bool == true)
        // Only those allowed to create SubjectAccessReviews may ask about others.
        #expect(await call(api, as: "vera", "POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", sar).status == 403)
        let rules: JSON = ["apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview", "spec": ["namespace": "default"]]
        let listed = await call(api, as: "vera", "POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", rules)
        #expect(listed.status == 201)
        let resourceRules = listed.body["status"]["resourceRules"].array ?? []
        #expect(resourceRules.contains { ($0["resources"].array ?? []).contains("pods") && ($0["verbs"].array ?? []) == ["get", "list", "watch"] })
        #expect(!resourceRules.contains { ($0["verbs"].array ?? []).contains("create") && ($0["resources"].array ?? []).contains("pods") })
        #expect((listed.body["status"]["nonResourceRules"].array ?? []).contains { ($0["nonResourceURLs"].array ?? []).contains("/apis/*") })
        let elsewhere = await call(
            api, as: "vera", "POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
            ["apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview", "spec": ["namespace": "kube-system"]])
        #expect(!(elsewhere.body["status"]["resourceRules"].array ?? []).contains { ($0["resources"].array ?? []).contains("pods") })
    }

    @Test("the index follows the store: a binding made or removed changes the next decision without a store read")
    func indexFollowsWatch() async throws {
        let api = try await TestAPI()
        let follower = Task { try await api.api.rbac.follow(api.api) }
        defer { follower.cancel() }
        #expect(try await api.eventually { await call(api, as: "vera", "GET", "/api/v1/namespaces/default/pods").status == 403 })
        #expect(
            try await api.call(
                "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings",
                Self.binding("v", namespace: "default", role: "view", user: "vera")
            ).status == 201)
        #expect(try await api.eventually { await call(api, as: "vera", "GET", "/api/v1/namespaces/default/pods").status == 200 })
        #expect(try await api.call("DELETE", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings/v").status == 200)
        #expect(try await api.eventually { await call(api, as: "vera", "GET", "/api/v1/namespaces/default/pods").status == 403 })
    }

    @Test("RBAC objects are validated as Kubernetes does")
    func validation() async throws {
        let api = try await TestAPI()
        let badRole: JSON = [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": ["name": "r"],
            "rules": [["apiGroups": [""], "resources": ["pods"]], ["nonResourceURLs": ["/x"], "verbs": ["get"]]],
        ]
        let role = try await api.call("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles", badRole)
        #expect(role.status == 422)
        let causes = (role.body["details"]["causes"].array ?? []).compactMap { $0["field"].string }
        #expect(causes == ["rules[0].verbs", "rules[1].nonResourceURLs"])
        var binding = Self.binding("b", namespace: "default", role: "view", user: "x")
        binding["kind"] = "ClusterRoleBinding"
        binding["roleRef"]["kind"] = "Role"
        #expect(try await api.call("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", binding).status == 422)
        let defaults = try await api.call("GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles")
        let names = Set((defaults.body["items"].array ?? []).compactMap { $0["metadata"]["name"].string })
        #expect(names.isSuperset(of: ["cluster-admin", "admin", "edit", "view", "system:discovery", "system:basic-user"]))
    }
}
