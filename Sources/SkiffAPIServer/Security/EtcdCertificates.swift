import Crypto
import Foundation
import SwiftASN1
import X509

/// The certificates of a server's embedded etcd member, issued by the cluster CA under
/// `DIR/pki/etcd`: the member's own (it serves clients and peers, and is a client of its peers)
/// and the API server's client certificate for etcd's `--client-cert-auth`. Issued again at every
/// start, so a changed address is always in the certificate.
public struct EtcdCertificates: Sendable {
    public let pkiDirectory: String
    public var directory: String { pkiDirectory + "/etcd" }
    public var caFile: String { pkiDirectory + "/ca.crt" }
    public var memberCertificateFile: String { directory + "/member.crt" }
    public var memberKeyFile: String { directory + "/member.key" }
    public var clientCertificateFile: String { directory + "/client.crt" }
    public var clientKeyFile: String { directory + "/client.key" }

    /// Issues both certificates with the CA in `pkiDirectory` (which must exist: the cluster's
    /// first server makes it, joining servers receive it); `hostnames` are the member's addresses.
    public static func issue(pkiDirectory: String, hostnames: [String]) throws -> EtcdCertificates {
        let caKey = try P256.Signing.PrivateKey(pemRepresentation: try String(contentsOfFile: pkiDirectory + "/ca.key", encoding: .utf8))
        let ca = try Certificate(pemEncoded: try String(contentsOfFile: pkiDirectory + "/ca.crt", encoding: .utf8))
        let certificates = EtcdCertificates(pkiDirectory: pkiDirectory)
        try FileManager.default.createDirectory(atPath: certificates.directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let names = [GeneralName.dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))] + ClusterPKI.generalNames(hostnames)
        try write(
            commonName: "skiff-etcd-member", usages: [.serverAuth, .clientAuth], names: names, ca: ca, caKey: caKey,
            certificate: certificates.memberCertificateFile, key: certificates.memberKeyFile)
        try write(
            commonName: "skiff-apiserver-etcd-client", usages: [.clientAuth], names: [], ca: ca, caKey: caKey,
            certificate: certificates.clientCertificateFile, key: certificates.clientKeyFile)
        return certificates
    }

    static func write(
        commonName: String, usages: [ExtendedKeyUsage.Usage], names: [GeneralName], ca: Certificate, caKey: P256.Signing.PrivateKey,
        certificate path: String, key keyPath: String
    ) throws {
        let key = P256.Signing.PrivateKey()
        let now = Date()
        let certificate = try Certificate(
            version: .v3, serialNumber: ClusterPKI.serialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(365 * 86400),
            issuer: ca.subject, subject: try DistinguishedName { CommonName(commonName) }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage(usages)
                if !names.isEmpty { SubjectAlternativeNames(names) }
            },
            issuerPrivateKey: .init(caKey))
        try ClusterPKI.writeSecret(key.pemRepresentation, to: keyPath)
        try certificate.serializeAsPEM().pemString.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
