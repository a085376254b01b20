import Crypto
import Foundation

/// The secret another server presents to join the cluster (`skiff server --join URL
/// --token-file DATA/server-token`), which hands it the CA's key: so it is not the agents' node
/// token. Its text, `SKIFF1<sha256 of the CA certificate>::<secret>`, also pins the CA: the
/// joining server fetches `/cacerts` before it trusts anything and checks the hash, so it cannot
/// be handed another CA by whatever answers at the URL.
public struct ServerToken: Sendable, Equatable {
    public let caHash: String
    public let secret: String

    public var text: String { "\(Self.prefix)\(caHash)::\(secret)" }
    static let prefix = "SKIFF1"

    public init(caHash: String, secret: String) {
        self.caHash = caHash
        self.secret = secret
    }

    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = trimmed.components(separatedBy: "::")
        guard parts.count == 2, parts[0].hasPrefix(Self.prefix), parts[0].count == Self.prefix.count + 64, !parts[1].isEmpty,
            parts[0].dropFirst(Self.prefix.count).allSatisfy(\.isHexDigit)
        else {
            throw ServerTokenError("not a server token (SKIFF1<64 hex digits>::<secret>); use the first server's DATA-DIR/server-token")
        }
        caHash = String(parts[0].dropFirst(Self.prefix.count)).lowercased()
        secret = parts[1]
    }

    /// The hash a token pins: SHA-256 of the CA certificate's PEM text as `/cacerts` serves it.
    public static func caHash(ofPEM pem: String) -> String {
        SHA256.hash(data: Data(pem.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// `DIR/server-token`, created with a new secret when missing (0600).
    public static func loadOrCreate(directory: String, caCertificatePEM: String) throws -> ServerToken {
        let path = directory + "/server-token"
        if let existing = try? String(contentsOfFile: path, encoding: .utf8) { return try ServerToken(parsing: existing) }
        let token = ServerToken(caHash: caHash(ofPEM: caCertificatePEM), secret: Authenticator.randomSecret())
        try ClusterPKI.writeSecret(token.text + "\n", to: path)
        return token
    }
}

public struct ServerTokenError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
