import Glibc
import Synchronization

/// One holder per pod UID at a time, so two calls for the same pod never interleave their
/// namespace and state-file work; calls for different pods run in parallel.
final class PodLocks: Sendable {
    private let held = Mutex<Set<String>>([])

    func withLock<T>(_ podUID: String, _ body: () throws -> T) throws -> T {
        // Calls are synchronous and short (a CNI ADD is ~20 ms), so a sleeping poll is enough.
        while !held.withLock({ $0.insert(podUID).inserted }) { usleep(2000) }
        defer { _ = held.withLock { $0.remove(podUID) } }
        return try body()
    }
}
