import Foundation
import SkiffAPI

/// One API server's record of itself in the `kubernetes` Service's lease reconciler: where
/// clients reach it, and until when the record holds.
struct APIServerRecord: Sendable, Equatable {
    let address: String
    let port: Int
    let renewed: Date
    let duration: TimeInterval

    /// Nil when the Lease lacks the address, port or renewal (not a server's record).
    init?(lease: Lease) {
        guard let address = lease.metadata.annotations[KubernetesServiceEndpoints.addressAnnotation], !address.isEmpty,
            let port = lease.metadata.annotations[KubernetesServiceEndpoints.portAnnotation].flatMap({ Int($0) }), (1...65535).contains(port),
            let renewed = lease.renewTime.flatMap(Timestamp.parse), let seconds = lease.leaseDurationSeconds
        else { return nil }
        self.address = address
        self.port = port
        self.renewed = renewed
        self.duration = TimeInterval(seconds)
    }

    /// Whether the record is still valid at `now` on this server's clock. Like Kubernetes' API
    /// server identity leases, the holder's renewal time is compared with the reader's clock:
    /// servers of one cluster are expected to keep time within a second or two of each other.
    func isFresh(at now: Date) -> Bool { renewed.addingTimeInterval(duration) > now }
}
