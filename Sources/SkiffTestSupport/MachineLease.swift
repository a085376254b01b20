import Foundation
import Synchronization

/// An exclusive `flock` on /run/skiff-cluster.lease: the bridge, namespaces and cgroups of
/// `scripts/cluster` are machine-wide, so one test cluster exists at a time across every test
/// process on the machine. Held from before `up` until after `down`.
final class MachineLease: Sendable {
    static let path = "/run/skiff-cluster.lease"
    /// nil once released.
    private let descriptor: Mutex<Int32?>

    private init(descriptor: Int32) {
        self.descriptor = Mutex(descriptor)
    }

    /// Waits (polling, so no cooperative thread blocks in flock) until the lease is free.
    static func acquire(timeout: TimeInterval = 1800) async throws -> MachineLease {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Tools.Failure("open \(path): errno \(errno)") }
        let deadline = Date().addingTimeInterval(timeout)
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, Date() < deadline else {
                close(descriptor)
                throw Tools.Failure("another test cluster held \(path) for \(Int(timeout)) s")
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        return MachineLease(descriptor: descriptor)
    }

    /// Closing the descriptor releases the lock; later calls do nothing (a second close could hit
    /// a descriptor number reused by someone else).
    func release() {
        descriptor.withLock { descriptor in
            if let open = descriptor { close(open) }
            descriptor = nil
        }
    }
}
