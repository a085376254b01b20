import Synchronization
import X509

/// The user a verified client certificate names (CN the user, each O a group), remembered per
/// certificate: kubectl sends the same one on every connection, and parsing DER for each request
/// would be the most expensive part of authenticating it.
final class ClientCertificateUsers: Sendable {
    private let known = Mutex<[[UInt8]: UserInfo]>([:])
    /// Certificates are few (one per person); the bound only stops a flood of fresh ones growing it.
    static let capacity = 1024

    /// The certificate's user, or nil when it names none (no CN).
    func user(der: [UInt8]) -> UserInfo? {
        if let user = known.withLock({ $0[der] }) { return user }
        guard let certificate = try? Certificate(derEncoded: der), let user = Self.user(of: certificate) else { return nil }
        known.withLock { known in
            if known.count >= Self.capacity { known.removeAll() }
            known[der] = user
        }
        return user
    }

    static func user(of certificate: Certificate) -> UserInfo? {
        var name: String?
        var groups: [String] = []
        for attribute in certificate.subject.flatMap({ $0 }) {
            guard let value = String(attribute.value) else { continue }
            if attribute.type == .RDNAttributeType.commonName { name = value }
            if attribute.type == .RDNAttributeType.organizationName { groups.append(value) }
        }
        guard let name, !name.isEmpty else { return nil }
        return UserInfo(name: name, groups: groups)
    }
}
