import NIOCore
import NIOSSL
import Synchronization

/// Each open connection's verified client certificate (DER), looked up on the connection's first
/// request without a token and remembered until it closes. Asking the TLS handler means a hop to
/// the connection's event loop, which under load waits behind TLS work: once per request, that
/// made a certificate user's requests slower than the token admin's (docs/performance.md).
final class PeerCertificates: Sendable {
    /// Keyed by the channel's identity. An entry goes when its channel closes, before the channel
    /// can be freed and its address reused by another.
    private let known = Mutex<[ObjectIdentifier: [UInt8]?]>([:])

    static let shared = PeerCertificates()

    func der(of channel: any Channel) async -> [UInt8]? {
        let key = ObjectIdentifier(channel)
        if let cached = known.withLock({ $0[key] }) { return cached }
        let certificate = try? await channel.nioSSL_peerCertificate().get()
        let der = try? certificate?.toDERBytes()
        let inserted = known.withLock { known in
            guard known[key] == nil else { return false }
            known[key] = .some(der)
            return true
        }
        if inserted {
            channel.closeFuture.whenComplete { [self] _ in
                _ = known.withLock { $0.removeValue(forKey: key) }
            }
        }
        return der
    }
}
