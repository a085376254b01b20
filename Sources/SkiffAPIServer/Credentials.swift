import Foundation

/// The admin bearer token (`DIR/pki/admin.token`) and the node join token (`DIR/node-token`),
/// created once with 0600 permissions.
public struct Credentials: Sendable {
    public let adminToken: String
    public let joinToken: String

    public static func loadOrCreate(directory: String) throws -> Credentials {
        try FileManager.default.createDirectory(atPath: directory + "/pki", withIntermediateDirectories: true)
        let admin = try readOrCreate(directory + "/pki/admin.token")
        let join = try readOrCreate(directory + "/node-token")
        return Credentials(adminToken: admin, joinToken: join)
    }

    static func readOrCreate(_ path: String) throws -> String {
        if let existing = try? String(contentsOfFile: path, encoding: .utf8) {
            let trimmed = existing.trimmingCharacters(in: .whitespacesAndNewlines)
            if !trimmed.isEmpty { return trimmed }
        }
        let secret = Authenticator.randomSecret()
        try ClusterPKI.writeSecret(secret + "\n", to: path)
        return secret
    }
}
