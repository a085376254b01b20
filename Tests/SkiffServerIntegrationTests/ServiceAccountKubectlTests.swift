import Foundation
import SkiffTestSupport
import Testing

/// ServiceAccounts with real kubectl on a real server: `kubectl get sa` shows the controller's
/// `default` ones, `kubectl create serviceaccount` and `kubectl create token --duration` work (the
/// protobuf bodies kubectl sends), and the token is a user RBAC decides for.
@Suite(.serialized) struct ServiceAccountKubectlTests {
    func expectSuccess(_ output: Tools.Output, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(output.status == 0, "kubectl failed: \(output.stderr)", sourceLocation: sourceLocation)
    }

    /// The JWT's payload as JSON.
    static func payload(_ token: String) throws -> [String: Any] {
        var part = String(token.split(separator: ".")[1]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while part.count % 4 != 0 { part += "=" }
        let data = try #require(Data(base64Encoded: part))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test(
        "kubectl get sa lists the default ServiceAccount of a new namespace; create serviceaccount, create token --duration 10m, and the token is system:serviceaccount:team:robot"
    )
    func createTokenWithKubectl() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        expectSuccess(try await server.kubectl("create", "namespace", "team"))
        let accounts = try await server.kubectl("get", "sa", "-n", "team", until: { $0.stdout.contains("default") })
        expectSuccess(accounts)
        #expect(Tools.rows(accounts.stdout).first == ["NAME", "SECRETS", "AGE"])
        #expect(Tools.rows(accounts.stdout).dropFirst().first?.prefix(2) == ["default", "0"])
        let rootCA = try await server.kubectl(
            "get", "configmap", "kube-root-ca.crt", "-n", "team", "-o", "jsonpath={.data.ca\\.crt}", until: { $0.status == 0 })
        #expect(rootCA.stdout == (try String(contentsOfFile: server.directory + "/pki/ca.crt", encoding: .utf8)))

        expectSuccess(try await server.kubectl("create", "serviceaccount", "robot", "-n", "team"))
        let created = try await server.kubectl("create", "token", "robot", "-n", "team", "--duration", "10m")
        expectSuccess(created)
        let token = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let claims = try Self.payload(token)
        #expect(claims["sub"] as? String == "system:serviceaccount:team:robot")
        #expect(claims["iss"] as? String == "https://kubernetes.default.svc.cluster.local")
        let issued = try #require(claims["iat"] as? Int)
        #expect((claims["exp"] as? Int).map { $0 - issued } == 600)
        let kubernetes = try #require(claims["kubernetes.io"] as? [String: Any])
        #expect(kubernetes["namespace"] as? String == "team")

        // The token as the credential: RBAC decides for the ServiceAccount's user.
        expectSuccess(try await server.kubectl("create", "role", "pod-reader", "--verb=get,list", "--resource=pods", "-n", "team"))
        expectSuccess(try await server.kubectl("create", "rolebinding", "robot-reads", "--role=pod-reader", "--serviceaccount=team:robot", "-n", "team"))
        let pods = try await server.kubectl("--token", token, "get", "pods", "-n", "team", until: { $0.status == 0 })
        expectSuccess(pods)
        let secrets = try await server.kubectl("--token", token, "get", "secrets", "-n", "team")
        #expect(secrets.status != 0)
        #expect(
            secrets.stderr.contains(
                #"secrets is forbidden: User "system:serviceaccount:team:robot" cannot list resource "secrets" in API group "" in the namespace "team""#),
            "\(secrets.stderr)")
        let whoami = try await server.kubectl("--token", token, "auth", "whoami")
        expectSuccess(whoami)
        #expect(Tools.rows(whoami.stdout).contains(["Username", "system:serviceaccount:team:robot"]), "\(whoami.stdout)")
        let jwks = try await server.kubectl("--token", token, "get", "--raw", "/openid/v1/jwks")
        expectSuccess(jwks)
        #expect(jwks.stdout.contains(#""kty":"EC""#))

        // A token bound to a pod dies with it.
        let pod = """
            apiVersion: v1
            kind: Pod
            metadata: {name: holder, namespace: team}
            spec:
              serviceAccountName: robot
              containers: [{name: main, image: busybox:1.36}]
            """
        expectSuccess(try await server.kubectl("apply", "-f", "-", input: pod))
        let mounted = try await server.kubectl("get", "pod", "holder", "-n", "team", "-o", "jsonpath={.spec.containers[0].volumeMounts[0].mountPath}")
        #expect(mounted.stdout == "/var/run/secrets/kubernetes.io/serviceaccount")
        let bound = try await server.kubectl("create", "token", "robot", "-n", "team", "--bound-object-kind", "Pod", "--bound-object-name", "holder")
        expectSuccess(bound)
        let boundToken = bound.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        expectSuccess(try await server.kubectl("--token", boundToken, "get", "pods", "-n", "team"))
        expectSuccess(try await server.kubectl("delete", "pod", "holder", "-n", "team", "--grace-period=0", "--force"))
        let after = try await server.kubectl("--token", boundToken, "get", "pods", "-n", "team", until: { $0.status != 0 })
        #expect(after.status != 0)
        #expect(after.stderr.contains("Unauthorized"), "\(after.stderr)")
    }

    @Test("a server joining with --join gets the service-account key: a token the first server issued authenticates on the second (embedded etcd)")
    func joinedServerAcceptsTokens() async throws {
        func etcdFlags() -> [String] {
            ["--advertise-address", "127.0.0.1", "--etcd-client-port", "\(EtcdProcess.freePort())", "--etcd-peer-port", "\(EtcdProcess.freePort())"]
        }
        let first = try await ServerProcess.start(extraArguments: ["--cluster-init"] + etcdFlags())
        defer { first.stop() }
        let second = try await ServerProcess.start(
            extraArguments: ["--join", try first.url, "--token-file", first.directory + "/server-token"] + etcdFlags())
        defer { second.stop() }
        let key = "/pki/service-account.key"
        #expect(
            try String(contentsOfFile: first.directory + key, encoding: .utf8) == String(contentsOfFile: second.directory + key, encoding: .utf8))
        let created = try await first.kubectl("create", "token", "default")
        expectSuccess(created)
        let token = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        // The default ServiceAccount may read the issuer's documents, on either server.
        let fromFirst = try await first.kubectl("--token", token, "get", "--raw", "/openid/v1/jwks")
        let fromSecond = try await second.kubectl("--token", token, "get", "--raw", "/openid/v1/jwks")
        expectSuccess(fromSecond)
        #expect(fromFirst.stdout == fromSecond.stdout)
    }
}
