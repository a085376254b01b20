import NIOSSL

/// How to reach each registry: its endpoint, whether plain HTTP is allowed, and which CA to
/// trust besides the system store.
///
/// Plain HTTP is allowed only for registries named insecure and, as Docker does, for loopback
/// ones (localhost, 127.0.0.0/8, ::1); those are tried over HTTPS first, without verifying the
/// certificate unless a CA file is configured for them. Per-registry CAs follow Docker's
/// `certs.d` convention: `<certificatesDirectory>/<host[:port]>/ca.crt`.
public struct RegistryHosts: Sendable {
    public var certificatesDirectory: String?
    public var insecure: Set<String>

    public init(certificatesDirectory: String? = "/etc/skiff/certs.d", insecure: [String] = []) {
        self.certificatesDirectory = certificatesDirectory
        self.insecure = Set(insecure)
    }

    /// The host the registry API answers on: Docker Hub's images are named "docker.io".
    public func endpoint(for domain: String) -> String {
        domain == "docker.io" ? "registry-1.docker.io" : domain
    }

    /// True for registries that may be spoken to without verified TLS.
    public func isInsecure(_ domain: String) -> Bool {
        insecure.contains(domain) || Self.isLoopback(domain)
    }

    /// The CA file configured for this registry, if it exists.
    public func caFile(for domain: String) -> String? {
        guard let certificatesDirectory else { return nil }
        let path = "\(certificatesDirectory)/\(domain)/ca.crt"
        return (try? NIOSSLCertificate.fromPEMFile(path)) == nil ? nil : path
    }

    /// The TLS settings for a registry: the system store, plus its CA file; no verification
    /// only for an insecure registry that has no CA file.
    public func tlsConfiguration(for domain: String) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile = caFile(for: domain) {
            tls.additionalTrustRoots = [.file(caFile)]
        } else if isInsecure(domain) {
            tls.certificateVerification = .none
        }
        return tls
    }

    /// localhost, 127.0.0.0/8 and ::1, with or without a port.
    public static func isLoopback(_ domain: String) -> Bool {
        let host = hostWithoutPort(domain)
        if host == "localhost" || host == "::1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// "[::1]:5000" → "::1", "r.example:5000" → "r.example".
    static func hostWithoutPort(_ domain: String) -> String {
        if domain.hasPrefix("["), let close = domain.firstIndex(of: "]") {
            return String(domain[domain.index(after: domain.startIndex)..<close])
        }
        if domain.filter({ $0 == ":" }).count == 1, let colon = domain.firstIndex(of: ":") { return String(domain[..<colon]) }
        return domain
    }
}
