import Synchronization

/// kube-controller-manager's expectations: a controller that just asked the API to create or
/// delete pods must not act on its informer's cache until the cache has seen those writes, or it
/// would count the same missing pods twice and create them again. Creations are counted;
/// deletions are tracked by UID (a pod may be deleted by someone else meanwhile, and that counts
/// too). Expectations older than `timeout` are treated as met so a lost watch event cannot
/// wedge a controller forever (5 minutes, as Kubernetes).
public final class ControllerExpectations: Sendable {
    private struct Pending {
        var creations = 0
        var deletions: Set<String> = []
        var since: ContinuousClock.Instant
    }

    public let timeout: Duration
    private let pending = Mutex<[String: Pending]>([:])

    public init(timeout: Duration = .seconds(300)) { self.timeout = timeout }

    /// Whether the cache has caught up with `key`'s writes (or they timed out): the controller may sync.
    public func isSatisfied(_ key: String) -> Bool {
        pending.withLock { pending in
            guard let entry = pending[key] else { return true }
            if entry.creations <= 0 && entry.deletions.isEmpty { return true }
            return ContinuousClock.now - entry.since > timeout
        }
    }

    /// Before creating `count` objects for `key`.
    public func expectCreations(_ key: String, count: Int) {
        pending.withLock { $0[key] = Pending(creations: count, since: .now) }
    }

    /// Before deleting the objects with these UIDs for `key`.
    public func expectDeletions(_ key: String, uids: some Sequence<String>) {
        pending.withLock { $0[key] = Pending(deletions: Set(uids), since: .now) }
    }

    /// Before creating `creations` objects and deleting the objects with `deletions` for `key` in one sync.
    public func expect(_ key: String, creations: Int, deletions: some Sequence<String>) {
        pending.withLock { $0[key] = Pending(creations: creations, deletions: Set(deletions), since: .now) }
    }

    /// The informer saw one of `key`'s objects created, or a create failed and never will be.
    public func creationObserved(_ key: String) {
        pending.withLock { pending in pending[key]?.creations -= 1 }
    }

    /// The informer saw the object with `uid` deleted (or marked for deletion), or the delete failed.
    public func deletionObserved(_ key: String, uid: String) {
        pending.withLock { pending in _ = pending[key]?.deletions.remove(uid) }
    }

    /// Drops `key`'s expectations (its owner was deleted).
    public func forget(_ key: String) { pending.withLock { _ = $0.removeValue(forKey: key) } }
}
