import SkiffAPI
import SkiffClient
import Synchronization

/// The controller's own writes that its slice informer has not delivered yet (client-go's
/// expectations, kube's EndpointSliceTracker): a sync against a cache that lacks a slice it just
/// created would create it again. Keyed by Service, then slice name; a nil version means deleted.
/// Expectations lapse after `lifetime`, as client-go's do (after 5 minutes there): a slice that
/// was created and deleted again while the informer relisted is never seen, and must not hold
/// its Service back for good.
final class SliceExpectations: Sendable {
    private struct Writes: Equatable {
        var slices: [String: String?] = [:]
        var since: ContinuousClock.Instant
    }

    private let pending = Mutex<[String: Writes]>([:])
    let lifetime: Duration

    init(lifetime: Duration = .seconds(30)) { self.lifetime = lifetime }

    /// Records a write: the slice `name` now has `version`, or is deleted (nil).
    func expect(_ service: String, slice name: String, version: String?) {
        guard !name.isEmpty else { return }
        let now = ContinuousClock.now
        pending.withLock { $0[service, default: Writes(since: now)].slices[name] = .some(version) }
    }

    /// Whether the cache shows every recorded write for `service` (then they are forgotten).
    func satisfied(_ service: String, in cache: Informer<EndpointSlice>) -> Bool {
        guard let recorded = pending.withLock({ $0[service] }) else { return true }
        if ContinuousClock.now - recorded.since > lifetime {
            pending.withLock { if $0[service] == recorded { $0[service] = nil } }
            return true
        }
        let writes = recorded.slices
        let namespace = service.split(separator: "/").first.map(String.init) ?? ""
        for (name, version) in writes {
            let cached = cache.get("\(namespace)/\(name)")
            switch version {
            case .none: if cached != nil { return false }
            case .some(let version):
                guard let cachedVersion = cached?.metadata.resourceVersion, Self.atLeast(cachedVersion, version) else { return false }
            }
        }
        pending.withLock { current in
            // Only what was checked: a write recorded meanwhile stays.
            if current[service] == recorded { current[service] = nil }
        }
        return true
    }

    /// resourceVersions are store revisions here: numbers that only grow.
    static func atLeast(_ cached: String, _ expected: String) -> Bool {
        guard let cached = Int64(cached), let expected = Int64(expected) else { return cached == expected }
        return cached >= expected
    }
}
