import ArgumentParser
import Foundation
import SkiffAPI
import SkiffAPIServer

/// `skiff kubeconfig --user NAME --group G…`: a kubeconfig for a person, with a fresh client
/// certificate and key the cluster CA signs (CN the user, O the groups). What the user may do is
/// up to RBAC bindings naming the user or the groups.
public struct KubeconfigCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "kubeconfig", abstract: "Write a kubeconfig with a client certificate for a user (run on a server host).")

    @OptionGroup var dataDirectory: DataDirectoryOption

    @Option(help: "The user name (the certificate's CN).")
    var user: String

    @Option(name: .customLong("group"), help: "A group the user is in (the certificate's O); repeat for more.")
    var groups: [String] = []

    @Option(help: "The API server URL (default: the one in DATA-DIR/admin.kubeconfig).")
    var server: String?

    @Option(help: "The context's namespace.")
    var namespace = "default"

    @Option(help: "How many days the certificate is valid.")
    var days = 365

    @Option(name: [.short, .long], help: "Where to write the kubeconfig (default: standard output).")
    var output: String?

    public init() {}

    public func validate() throws {
        guard !user.isEmpty else { throw ValidationError("--user must not be empty") }
        guard !groups.contains(where: \.isEmpty) else { throw ValidationError("--group must not be empty") }
        guard days > 0 else { throw ValidationError("--days must be positive") }
    }

    public func run() throws {
        let pki = dataDirectory.dataDir + "/pki"
        let caPEM = try String(contentsOfFile: pki + "/ca.crt", encoding: .utf8)
        let credential = try ClusterPKI.issueClientCertificate(directory: pki, user: user, groups: groups, days: days)
        let config = Kubeconfig.make(
            server: try server ?? adminServer(), caPEM: caPEM, user: user,
            credential: .clientCertificate(certificatePEM: credential.certificatePEM, keyPEM: credential.keyPEM), namespace: namespace)
        if let output {
            try Kubeconfig.write(config, to: output)
        } else {
            print(config.serialized)
        }
    }

    /// The server URL the admin kubeconfig names, which the running server wrote.
    func adminServer() throws -> String {
        let path = dataDirectory.dataDir + "/admin.kubeconfig"
        guard let data = FileManager.default.contents(atPath: path), let server = try JSON(parsing: Array(data))["clusters"][0]["cluster"]["server"].string
        else {
            throw ValidationError("no server URL in \(path); start the server first or pass --server")
        }
        return server
    }
}
