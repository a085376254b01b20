import ArgumentParser
import Foundation
import SkiffAPI
import SkiffAPIServer

/// Who `skiff-bench api`'s clients are: the admin (the bench token, allowed before any
/// authorizer is asked), or a user with a client certificate whose every request RBAC decides
/// (`--rbac`), or a ServiceAccount's bound token (`--rbac --service-account`: the token's
/// signature, expiry, audience and pod binding checked too), to time what authentication and
/// authorization cost.
struct BenchIdentity: Sendable {
    /// Names the phase's output line and its pods.
    let name: String
    let certificatePEM: String?
    let keyPEM: String?
    /// A bearer token of its own (a ServiceAccount's), instead of a certificate.
    var bearer: String?

    static let admin = BenchIdentity(name: "admin", certificatePEM: nil, keyPEM: nil)
    static let userName = "bench-user"
    static let serviceAccountName = "bench-sa"

    var isAdmin: Bool { certificatePEM == nil && bearer == nil }

    /// The Authorization header's token: the admin's, or the identity's own.
    func authorization(adminToken: String) -> String? { bearer ?? (isAdmin ? adminToken : nil) }

    /// The certificate's DER, as the TLS handshake hands it to the server.
    var der: [UInt8]? {
        certificatePEM.map { pem in
            Array(Data(base64Encoded: pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()) ?? Data())
        }
    }

    /// The user of a kubeconfig `skiff kubeconfig` wrote.
    static func user(kubeconfig path: String) throws -> BenchIdentity {
        let config = try JSON(parsing: try String(contentsOfFile: path, encoding: .utf8))
        let user = config["users"][0]["user"]
        func decoded(_ field: String) -> String? { user[field].string.flatMap(Base64.decode).map { String(decoding: $0, as: UTF8.self) } }
        if let token = user["token"].string { return BenchIdentity(name: serviceAccountName, certificatePEM: nil, keyPEM: nil, bearer: token) }
        guard let certificate = decoded("client-certificate-data"), let key = decoded("client-key-data") else {
            throw ValidationError("\(path) has no client certificate or token")
        }
        return BenchIdentity(name: userName, certificatePEM: certificate, keyPEM: key)
    }

    /// Binds `bench-user` to `edit` in the default namespace, through the API as any
    /// administrator would, and writes its kubeconfig; returns the identity.
    static func makeUser(api: KubeAPI, directory: String, endpoint: (port: Int, ca: String)) async throws -> (identity: BenchIdentity, kubeconfig: String) {
        let binding: JSON = [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": ["name": "bench-user-edit"],
            "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"],
            "subjects": [["apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": .string(userName)]],
        ]
        let response = await api.handle(
            APIRequest(
                method: "POST", path: "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings",
                headers: ["authorization": "Bearer \(SkiffBenchCommand.token)", "content-type": "application/json"], body: binding.bytes))
        guard response.status == 201 else { throw ValidationError("creating the bench user's RoleBinding failed with \(response.status)") }
        let credential = try ClusterPKI.issueClientCertificate(directory: directory + "/pki", user: userName, groups: [])
        let path = directory + "/bench-user.kubeconfig"
        try Kubeconfig.write(
            Kubeconfig.make(
                server: "https://127.0.0.1:\(endpoint.port)", caPEM: endpoint.ca, user: userName,
                credential: .clientCertificate(certificatePEM: credential.certificatePEM, keyPEM: credential.keyPEM)),
            to: path)
        return (BenchIdentity(name: userName, certificatePEM: credential.certificatePEM, keyPEM: credential.keyPEM), path)
    }

    /// Makes the ServiceAccount `bench-sa` in default, binds it to `edit`, creates a pod running
    /// as it (`bench-sa-holder`, never scheduled) and a token bound to that pod, as the agent
    /// requests for a pod's volume, and writes a kubeconfig with the token.
    static func makeServiceAccount(
        api: KubeAPI, directory: String, endpoint: (port: Int, ca: String)
    ) async throws -> (identity: BenchIdentity, kubeconfig: String) {
        func post(_ path: String, _ body: JSON) async throws -> JSON {
            let response = await api.handle(
                APIRequest(
                    method: "POST", path: path, headers: ["authorization": "Bearer \(SkiffBenchCommand.token)", "content-type": "application/json"],
                    body: body.bytes))
            guard response.status == 201 else { throw ValidationError("POST \(path) failed with \(response.status)") }
            return try JSON(parsing: response.bodyBytes)
        }
        _ = try await post("/api/v1/namespaces/default/serviceaccounts", ["metadata": ["name": .string(serviceAccountName)]])
        _ = try await post(
            "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings",
            [
                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": ["name": "bench-sa-edit"],
                "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"],
                "subjects": [["kind": "ServiceAccount", "name": .string(serviceAccountName), "namespace": "default"]],
            ])
        let pod = try await post(
            "/api/v1/namespaces/default/pods",
            [
                "metadata": ["name": "bench-sa-holder"],
                "spec": ["serviceAccountName": .string(serviceAccountName), "containers": [["name": "main", "image": "busybox"]]],
            ])
        let answer = try await post(
            "/api/v1/namespaces/default/serviceaccounts/\(serviceAccountName)/token",
            [
                "apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                "spec": [
                    "expirationSeconds": 3600,
                    "boundObjectRef": ["apiVersion": "v1", "kind": "Pod", "name": "bench-sa-holder", "uid": pod["metadata"]["uid"]],
                ],
            ])
        guard let token = answer["status"]["token"].string else { throw ValidationError("the TokenRequest returned no token") }
        let path = directory + "/bench-sa.kubeconfig"
        try Kubeconfig.write(
            Kubeconfig.make(server: "https://127.0.0.1:\(endpoint.port)", caPEM: endpoint.ca, user: serviceAccountName, credential: .token(token)),
            to: path)
        return (BenchIdentity(name: serviceAccountName, certificatePEM: nil, keyPEM: nil, bearer: token), path)
    }
}
