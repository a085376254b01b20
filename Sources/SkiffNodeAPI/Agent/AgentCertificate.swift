import Crypto
import Foundation
import SkiffSystem
import SwiftASN1
import X509

/// The node API's self-signed serving certificate (P-256), kept in a directory and reused while
/// it is valid for another 30 days and covers the requested names. The API server does not
/// trust a CA for it: it pins the certificate's SHA-256, which the agent publishes on its Node
/// (annotation `skiff.dev/agent-certificate-sha256`).
public struct AgentCertificate: Sendable {
    public static let annotation = "skiff.dev/agent-certificate-sha256"

    public let certificatePEM: String
    public let privateKeyPEM: String
    /// Hex SHA-256 of the certificate's DER encoding.
    public let sha256: String

    /// Loads `DIR/agent.crt` and `DIR/agent.key` or creates them, with SANs for `hostnames`
    /// (DNS names) and `addresses` (IPv4/IPv6 literals).
    public static func loadOrCreate(directory: String, hostnames: [String], addresses: [String]) throws -> AgentCertificate {
        let files = FileManager.default
        try files.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let certificatePath = directory + "/agent.crt"
        let keyPath = directory + "/agent.key"
        let names = try subjectAlternativeNames(hostnames: hostnames, addresses: addresses)
        if let pem = try? String(contentsOfFile: certificatePath, encoding: .utf8),
            let keyPEM = try? String(contentsOfFile: keyPath, encoding: .utf8),
            let existing = try? Certificate(pemEncoded: pem),
            existing.notValidAfter > Date().addingTimeInterval(30 * 86400),
            let existingNames = try? existing.extensions.subjectAlternativeNames,
            Set(names.map { "\($0)" }).isSubset(of: Set(existingNames.map { "\($0)" }))
        {
            return try AgentCertificate(certificatePEM: pem, privateKeyPEM: keyPEM)
        }
        let key = P256.Signing.PrivateKey()
        let now = Date()
        let subject = try DistinguishedName { CommonName("skiff-agent@\(hostnames.first ?? "node")") }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(365 * 86400),
            issuer: subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                // No KeyUsage: BoringSSL treats a self-issued certificate as self-signed (and so
                // usable as its own trust root, which is how the API server pins it) only when
                // KeyUsage is absent or allows keyCertSign.
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(names)
            },
            issuerPrivateKey: .init(key))
        let pem = try certificate.serializeAsPEM().pemString
        try writeFile(key.pemRepresentation, to: keyPath, mode: 0o600)
        try writeFile(pem, to: certificatePath, mode: 0o644)
        return try AgentCertificate(certificatePEM: pem, privateKeyPEM: key.pemRepresentation)
    }

    init(certificatePEM: String, privateKeyPEM: String) throws {
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
        let document = try PEMDocument(pemString: certificatePEM)
        sha256 = Self.fingerprint(der: document.derBytes)
    }

    /// Hex SHA-256 of a DER-encoded certificate.
    public static func fingerprint(der: [UInt8]) -> String { Hex.encode(SHA256.hash(data: der)) }

    static func subjectAlternativeNames(hostnames: [String], addresses: [String]) throws -> [GeneralName] {
        var names: [GeneralName] = hostnames.filter { !$0.isEmpty }.map { .dnsName($0) }
        for address in addresses where !address.isEmpty {
            guard let bytes = IPAddressBytes.parse(address) else {
                throw AgentCertificateError(message: "\(address) is not an IPv4 or IPv6 address")
            }
            names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes))))
        }
        return names
    }

    static func writeFile(_ text: String, to path: String, mode: Int) throws {
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: mode]) else {
            throw AgentCertificateError(message: "cannot write \(temporary)")
        }
        do {
            try sys("rename", "\(temporary.quoted) -> \(path.quoted)") { rename(temporary, path) }
        } catch {
            throw AgentCertificateError(message: "cannot store \(path): \(error)")
        }
    }
}

/// The certificate could not be created or stored.
public struct AgentCertificateError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Parses IP literals into network-order bytes (inet_pton).
enum IPAddressBytes {
    static func parse(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}
