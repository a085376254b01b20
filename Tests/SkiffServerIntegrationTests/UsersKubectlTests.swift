import Foundation
import SkiffTestSupport
import Testing

/// People with their own kubeconfigs (`skiff kubeconfig --user`), RBAC bindings deciding what
/// they may do, and `kubectl auth can-i` agreeing with the decisions — real kubectl, real server.
@Suite(.serialized) struct UsersKubectlTests {
    func expectSuccess(_ output: Tools.Output, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(output.status == 0, "kubectl failed: \(output.stderr)", sourceLocation: sourceLocation)
    }

    /// A kubeconfig for `user` made by `skiff kubeconfig`.
    func kubeconfig(_ server: ServerProcess, user: String, groups: [String] = []) async throws -> String {
        let path = server.directory + "/\(user).kubeconfig"
        let made = try await Tools.run(
            try Tools.skiffBinary(), ["kubeconfig", "--data-dir", server.directory, "--user", user, "-o", path] + groups.flatMap { ["--group", $0] })
        #expect(made.status == 0, "skiff kubeconfig failed: \(made.stderr)")
        return path
    }

    func kubectl(_ kubeconfig: String, _ arguments: String..., input: String? = nil) async throws -> Tools.Output {
        try await Tools.run(try await Tools.kubectl(), ["--kubeconfig", kubeconfig] + arguments, input: input)
    }

    @Test("a view user cannot create, an edit user can, neither reads another namespace, and can-i agrees")
    func viewAndEditUsers() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        // The admin kubeconfig is a certificate in system:masters now.
        let whoami = try await server.kubectl("auth", "can-i", "*", "*")
        #expect(whoami.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "yes")
        for namespace in ["team", "other"] { expectSuccess(try await server.kubectl("create", "namespace", namespace)) }
        expectSuccess(try await server.kubectl("create", "rolebinding", "vera-view", "--clusterrole=view", "--user=vera", "-n", "team"))
        expectSuccess(try await server.kubectl("create", "rolebinding", "devs-edit", "--clusterrole=edit", "--group=devs", "-n", "team"))
        let vera = try await kubeconfig(server, user: "vera")
        let ed = try await kubeconfig(server, user: "ed", groups: ["devs"])

        // Decisions made from the watch-fed index settle a moment after the bindings are stored.
        var readable = try await kubectl(vera, "get", "pods", "-n", "team")
        for _ in 0..<20 where readable.status != 0 {
            try await Task.sleep(for: .milliseconds(250))
            readable = try await kubectl(vera, "get", "pods", "-n", "team")
        }
        expectSuccess(readable)
        let denied = try await kubectl(vera, "create", "configmap", "c", "-n", "team", "--from-literal=a=b")
        #expect(denied.status != 0)
        #expect(
            denied.stderr.contains(
                #"configmaps is forbidden: User "vera" cannot create resource "configmaps" in API group "" in the namespace "team""#
            ),
            "\(denied.stderr)")
        expectSuccess(try await kubectl(ed, "create", "configmap", "c", "-n", "team", "--from-literal=a=b"))
        for (user, config) in [("vera", vera), ("ed", ed)] {
            let other = try await kubectl(config, "get", "pods", "-n", "other")
            #expect(other.status != 0)
            #expect(
                other.stderr.contains(
                    #"Error from server (Forbidden): pods is forbidden: User "\#(user)" cannot list resource "pods" in API group "" in the namespace "other""#),
                "\(other.stderr)")
        }

        func canI(_ config: String, _ arguments: String...) async throws -> String {
            let answer = try await Tools.run(try await Tools.kubectl(), ["--kubeconfig", config, "auth", "can-i"] + arguments)
            return answer.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(try await canI(vera, "list", "pods", "-n", "team") == "yes")
        #expect(try await canI(vera, "create", "configmaps", "-n", "team") == "no")
        #expect(try await canI(ed, "create", "configmaps", "-n", "team") == "yes")
        #expect(try await canI(ed, "create", "deployments.apps", "-n", "team") == "yes")
        #expect(try await canI(ed, "get", "pods", "-n", "other") == "no")
        #expect(try await canI(vera, "get", "pods", "-n", "other") == "no")
        // The admin asks on their behalf.
        #expect(try await canI(server.kubeconfig, "create", "configmaps", "-n", "team", "--as", "vera") == "no")
        #expect(try await canI(server.kubeconfig, "create", "configmaps", "-n", "team", "--as", "someone", "--as-group", "devs") == "yes")
        #expect(try await canI(server.kubeconfig, "list", "pods", "-n", "team", "--as", "vera") == "yes")

        let list = try await kubectl(vera, "auth", "can-i", "--list", "-n", "team")
        expectSuccess(list)
        let rows = Tools.rows(list.stdout)
        #expect(rows.first == ["Resources", "Non-Resource", "URLs", "Resource", "Names", "Verbs"])
        #expect(rows.contains { $0.first == "pods" && $0.suffix(3) == ["[get", "list", "watch]"] }, "\(list.stdout)")
        #expect(!rows.contains { $0.first == "configmaps" && $0.contains("[create") })
        let asVera = try await server.kubectl("auth", "can-i", "--list", "-n", "team", "--as", "vera")
        #expect(Tools.rows(asVera.stdout) == rows)
        let edList = try await kubectl(ed, "auth", "can-i", "--list", "-n", "team")
        #expect(Tools.rows(edList.stdout).contains { $0.first == "configmaps" && $0.contains("[create") }, "\(edList.stdout)")
    }
}
