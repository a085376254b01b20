import Crypto
import Foundation
import SwiftASN1
import X509

/// The cluster CA and the API server's serving certificate, created on first start under
/// `DIR/pki` (P-256 keys; the CA for 10 years, the serving cert for 1 year and re-issued when
/// missing or expiring within 30 days).
public struct ClusterPKI: Sendable {
    public let caCertificatePEM: String
    public let serverCertificatePEM: String
    public let serverKeyPEM: String

    public static func loadOrCreate(directory: String, hostnames: [String] = []) throws -> ClusterPKI {
        let files = FileManager.default
        try files.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let caCertPath = directory + "/ca.crt"
        let caKeyPath = directory + "/ca.key"
        let caKey: P256.Signing.PrivateKey
        let caCertificate: Certificate
        if files.fileExists(atPath: caCertPath), files.fileExists(atPath: caKeyPath) {
            caKey = try P256.Signing.PrivateKey(pemRepresentation: try String(contentsOfFile: caKeyPath, encoding: .utf8))
            caCertificate = try Certificate(pemEncoded: try String(contentsOfFile: caCertPath, encoding: .utf8))
        } else {
            caKey = P256.Signing.PrivateKey()
            caCertificate = try makeCA(key: caKey)
            try writeSecret(caKey.pemRepresentation, to: caKeyPath)
            try caCertificate.serializeAsPEM().pemString.write(toFile: caCertPath, atomically: true, encoding: .utf8)
        }
        let serverCertPath = directory + "/server.crt"
        let serverKeyPath = directory + "/server.key"
        var reuse = false
        if files.fileExists(atPath: serverCertPath), files.fileExists(atPath: serverKeyPath),
            let existing = try? Certificate(pemEncoded: String(contentsOfFile: serverCertPath, encoding: .utf8)),
            existing.notValidAfter > Date().addingTimeInterval(30 * 86400)
        {
            reuse = true
        }
        if !reuse {
            let serverKey = P256.Signing.PrivateKey()
            let certificate = try makeServing(key: serverKey, caKey: caKey, ca: caCertificate, hostnames: hostnames)
            try writeSecret(serverKey.pemRepresentation, to: serverKeyPath)
            try certificate.serializeAsPEM().pemString.write(toFile: serverCertPath, atomically: true, encoding: .utf8)
        }
        return ClusterPKI(
            caCertificatePEM: try caCertificate.serializeAsPEM().pemString,
            serverCertificatePEM: try String(contentsOfFile: serverCertPath, encoding: .utf8),
            serverKeyPEM: try String(contentsOfFile: serverKeyPath, encoding: .utf8))
    }

    /// A client certificate and key for `user` in `groups` (CN and O, as Kubernetes' x509
    /// authenticator reads them), signed by the CA in `directory`, valid for `days`.
    public static func issueClientCertificate(
        directory: String, user: String, groups: [String], days: Int = 365
    ) throws -> (
        certificatePEM: String, keyPEM: String
    ) {
        let caKey = try P256.Signing.PrivateKey(pemRepresentation: try String(contentsOfFile: directory + "/ca.key", encoding: .utf8))
        let ca = try Certificate(pemEncoded: try String(contentsOfFile: directory + "/ca.crt", encoding: .utf8))
        let key = P256.Signing.PrivateKey()
        let now = Date()
        let subject = try DistinguishedName {
            for group in groups { OrganizationName(group) }
            CommonName(user)
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: serialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(Double(days) * 86400),
            issuer: ca.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.clientAuth])
            },
            issuerPrivateKey: .init(caKey))
        return (try certificate.serializeAsPEM().pemString, key.pemRepresentation)
    }

    /// Presets the admin token (benchmarks and tests that start a server in-process).
    public static func writeToken(_ token: String, directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory + "/pki", withIntermediateDirectories: true)
        try writeSecret(token + "\n", to: directory + "/pki/admin.token")
    }

    public static func writeSecret(_ text: String, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
    }

    /// A random positive 20-byte serial, as RFC 5280 requires.
    static func serialNumber() -> Certificate.SerialNumber { Certificate.SerialNumber() }

    static func makeCA(key: P256.Signing.PrivateKey) throws -> Certificate {
        let name = try DistinguishedName { CommonName("skiff-ca") }
        let now = Date()
        return try Certificate(
            version: .v3, serialNumber: serialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(10 * 365 * 86400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: Certificate.PublicKey(key.publicKey))
            },
            issuerPrivateKey: .init(key))
    }

    /// Subject alternative names for host names and IPv4 addresses.
    static func generalNames(_ hostnames: [String]) -> [GeneralName] {
        hostnames.filter { !$0.isEmpty }.map { hostname in
            let octets = hostname.split(separator: ".").compactMap { UInt8($0) }
            if octets.count == 4 && hostname.split(separator: ".").count == 4 {
                return .ipAddress(ASN1OctetString(contentBytes: ArraySlice(octets)))
            }
            return .dnsName(hostname)
        }
    }

    static func makeServing(key: P256.Signing.PrivateKey, caKey: P256.Signing.PrivateKey, ca: Certificate, hostnames: [String]) throws -> Certificate {
        let now = Date()
        var names: [GeneralName] = [
            .dnsName("localhost"), .dnsName("kubernetes"), .dnsName("kubernetes.default"),
            .dnsName("kubernetes.default.svc"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
            .ipAddress(ASN1OctetString(contentBytes: [10, 43, 0, 1])),
        ]
        names += generalNames(hostnames)
        return try Certificate(
            version: .v3, serialNumber: serialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(365 * 86400),
            issuer: ca.subject, subject: try DistinguishedName { CommonName("skiff-apiserver") },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(names)
            },
            issuerPrivateKey: .init(caKey))
    }
}
