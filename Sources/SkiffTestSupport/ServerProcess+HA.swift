import Foundation

/// Several servers of one cluster on one etcd, as an HA control plane runs them.
extension ServerProcess {
    /// Starts another server of `first`'s cluster: its data dir begins with a copy of `first`'s
    /// `pki/` (the CA, the serving certificate, the admin token) and `node-token`, as `--join`
    /// gives a joining server, so clients and agents trust and authenticate to both alike.
    /// `extraArguments` should point it at `first`'s store (`--datastore-endpoint`).
    public static func startJoining(_ first: ServerProcess, extraArguments: [String]) async throws -> ServerProcess {
        let directory = NSTemporaryDirectory() + "skiff-it-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: first.directory + "/pki", toPath: directory + "/pki")
        try FileManager.default.copyItem(atPath: first.directory + "/node-token", toPath: directory + "/node-token")
        return try await start(directory: directory, extraArguments: extraArguments)
    }

    /// The https:// URL the server listens at (its kubeconfig's).
    public var url: String {
        get throws {
            let parsed = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: kubeconfig))) as? [String: Any]
            let clusters = parsed?["clusters"] as? [[String: Any]]
            guard let url = (clusters?.first?["cluster"] as? [String: Any])?["server"] as? String else {
                throw Tools.Failure("no server URL in \(kubeconfig)")
            }
            return url
        }
    }

    /// The port the server listens on.
    public var port: Int {
        get throws {
            guard let port = try url.split(separator: ":").last.flatMap({ Int($0) }) else { throw Tools.Failure("no port in \(try url)") }
            return port
        }
    }
}
