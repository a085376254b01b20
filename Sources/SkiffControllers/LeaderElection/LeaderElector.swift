import Foundation
import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffClient
import Synchronization

/// client-go's leader election on a coordination.k8s.io Lease, as kube-controller-manager and
/// kube-scheduler use it: of several servers on one store, only the holder of the lease runs
/// `leading` (the scheduler, the informers and the controllers). A candidate takes the lease when
/// it is free, or when its holder has not renewed it for `leaseDuration` as measured on the
/// candidate's own clock from when it last saw the record change (holders' clocks are not
/// trusted). The leader renews every `retryPeriod`; if it cannot for `renewDeadline` it stops
/// leading (its services are cancelled and waited for: a half-stopped controller manager is worse
/// than none) and campaigns again with a fresh set from `makeLeading`, with empty caches and
/// queues, as a restarted kube-controller-manager would; unlike that separate process, the API
/// server beside it keeps serving meanwhile (and answers 5xx while its store cannot). On graceful
/// shutdown the leader releases the lease, so another server takes over at once.
public final class LeaderElector: Service, Sendable {
    public struct Configuration: Sendable {
        public var namespace = "kube-system"
        public var name: String
        /// Who this candidate is in `holderIdentity` (stable across restarts of one server, so a
        /// restarted leader takes its own lease back at once).
        public var identity: String
        public var leaseDuration: Duration = .seconds(15)
        public var renewDeadline: Duration = .seconds(10)
        public var retryPeriod: Duration = .seconds(2)

        public init(name: String, identity: String) {
            self.name = name
            self.identity = identity
        }
    }

    public struct LostLeadership: Error, CustomStringConvertible {
        public let lease: String
        public var description: String { "leader election lost: could not renew lease \(lease) in time" }
    }

    let client: any ControllerClient
    public let configuration: Configuration
    let makeLeading: @Sendable () -> [any Service]
    let logger: Logger
    /// The lease's spec as last read, and when (this process's clock) it last changed.
    private let observed = Mutex<(spec: JSON, at: ContinuousClock.Instant)?>(nil)
    private let leader = Atomic<Bool>(false)
    /// Terms of leadership this candidate has begun.
    private let terms = Atomic<Int>(0)
    public var termsLed: Int { terms.load(ordering: .relaxed) }

    /// `makeLeading` makes the services a term of leadership runs; it is called at each term.
    public init(
        client: any ControllerClient, configuration: Configuration, logger: Logger, makeLeading: @escaping @Sendable () -> [any Service]
    ) {
        self.client = client
        self.configuration = configuration
        self.makeLeading = makeLeading
        var logger = logger
        logger[metadataKey: "lease"] = "\(configuration.namespace)/\(configuration.name)"
        self.logger = logger
    }

    /// Whether this candidate holds the lease now.
    public var isLeader: Bool { leader.load(ordering: .relaxed) }

    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while true {
                    try await self.acquire()
                    self.leader.store(true, ordering: .relaxed)
                    self.terms.add(1, ordering: .relaxed)
                    self.logger.info("became leader", metadata: ["identity": "\(self.configuration.identity)"])
                    do {
                        try await self.lead()
                    } catch let lost as LostLeadership {
                        self.logger.error("\(lost); stepped down, campaigning again", metadata: ["identity": "\(self.configuration.identity)"])
                    }
                }
            }
        } catch is CancellationError {
            // Shut down while waiting or leading.
        }
        if leader.exchange(false, ordering: .relaxed) {
            // The caller's task is cancelled: the release runs in a task of its own.
            await Task { await self.release() }.value
        }
    }

    /// Tries every `retryPeriod` until the lease is this candidate's.
    private func acquire() async throws {
        while try await !tryAcquireOrRenew() {
            try await Task.sleep(for: configuration.retryPeriod)
        }
    }

    /// Runs the leading services beside the renewals; throws `LostLeadership` when a renewal
    /// deadline passes.
    private func lead() async throws {
        let services = makeLeading()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await withTaskGroup(of: Void.self) { inner in
                    for service in services { inner.addTask { try? await service.run() } }
                }
            }
            group.addTask { try await self.renewUntilLost() }
            // The renewals end only by losing (a throw) or cancellation; services end on cancellation.
            try await group.next()
            group.cancelAll()
        }
    }

    private func renewUntilLost() async throws {
        var renewed = ContinuousClock.now
        while true {
            try await Task.sleep(for: configuration.retryPeriod)
            if try await tryAcquireOrRenew() {
                renewed = .now
            } else if ContinuousClock.now - renewed > configuration.renewDeadline {
                leader.store(false, ordering: .relaxed)
                logger.error("lost leadership; stopping", metadata: ["identity": "\(configuration.identity)"])
                throw LostLeadership(lease: "\(configuration.namespace)/\(configuration.name)")
            }
        }
    }

    /// One round of client-go's tryAcquireOrRenew: create the lease, renew it, or take it over
    /// once expired. False when another holds it or a write lost a race (409); a failed request
    /// is logged and counts as false.
    func tryAcquireOrRenew() async throws -> Bool {
        do {
            return try await acquireOrRenewOnce()
        } catch let error as APIError where error.code == 409 {
            return false
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            logger.warning("lease request failed", metadata: ["error": "\(error)"])
            return false
        }
    }

    private func acquireOrRenewOnce() async throws -> Bool {
        let now = Timestamp.microseconds()
        // The Lease holds whole seconds: a fraction is rounded up, never shortened.
        let seconds = Int64((configuration.leaseDuration / .seconds(1)).rounded(.up))
        guard var lease = try await client.get(.leases, namespace: configuration.namespace, name: configuration.name) else {
            let lease: JSON = [
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": ["name": .string(configuration.name), "namespace": .string(configuration.namespace)],
                "spec": [
                    "holderIdentity": .string(configuration.identity), "leaseDurationSeconds": .int(seconds), "acquireTime": .string(now),
                    "renewTime": .string(now), "leaseTransitions": 0,
                ],
            ]
            let created = try await client.create(.leases, namespace: configuration.namespace, lease, fieldManager: "leader-election")
            observe(created["spec"])
            return true
        }
        let spec = lease["spec"]
        let seen = observe(spec)
        let holder = spec["holderIdentity"].string ?? ""
        let duration = Duration.seconds(spec["leaseDurationSeconds"].int ?? seconds)
        if !holder.isEmpty, holder != configuration.identity, ContinuousClock.now - seen < duration { return false }
        if holder != configuration.identity {
            lease["spec"]["acquireTime"] = .string(now)
            lease["spec"]["leaseTransitions"] = .int((spec["leaseTransitions"].int ?? 0) + (holder.isEmpty ? 0 : 1))
        }
        lease["spec"]["holderIdentity"] = .string(configuration.identity)
        lease["spec"]["leaseDurationSeconds"] = .int(seconds)
        lease["spec"]["renewTime"] = .string(now)
        let updated = try await client.update(.leases, namespace: configuration.namespace, lease, fieldManager: "leader-election")
        observe(updated["spec"])
        return true
    }

    /// Records `spec` as read; returns when it last changed.
    @discardableResult
    private func observe(_ spec: JSON) -> ContinuousClock.Instant {
        observed.withLock { observed in
            if let last = observed, last.spec == spec { return last.at }
            observed = (spec, .now)
            return observed?.at ?? .now
        }
    }

    /// Gives the lease up (client-go's ReleaseOnCancel): no holder, a one-second duration.
    private func release() async {
        do {
            guard var lease = try await client.get(.leases, namespace: configuration.namespace, name: configuration.name),
                lease["spec"]["holderIdentity"].string == configuration.identity
            else { return }
            let now = Timestamp.microseconds()
            lease["spec"]["holderIdentity"] = .null
            lease["spec"]["leaseDurationSeconds"] = 1
            lease["spec"]["renewTime"] = .string(now)
            lease["spec"]["acquireTime"] = .string(now)
            _ = try await client.update(.leases, namespace: configuration.namespace, lease, fieldManager: "leader-election")
            logger.info("released the lease")
        } catch {
            logger.warning("could not release the lease; it expires by itself", metadata: ["error": "\(error)"])
        }
    }
}
