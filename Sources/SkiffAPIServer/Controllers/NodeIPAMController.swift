import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffStore

/// kube-controller-manager's node IPAM controller (its range allocator), in process, for the
/// Nodes the create path could not give a pod CIDR because the cluster CIDR was used up. It keeps
/// the allocator in step with the store (lists the Nodes, then follows their watch: a deleted
/// Node's range is released, a stored one held) and hands the next free range to the Node that
/// has waited longest. Level-triggered, it also keeps each Node's network-unavailable taint and
/// `NetworkUnavailable` condition matching whether it has a range: an agent's status write may
/// replace the conditions, and an operator may set a podCIDR by hand. It writes through the API's
/// update path, so validation, the podCIDR rules and field ownership apply.
public struct NodeIPAMController: Service {
    let api: KubeAPI
    let logger: Logger
    /// How often waiting Nodes are tried again and failed writes retried.
    let interval: Duration

    public init(api: KubeAPI, logger: Logger, interval: Duration = .seconds(1)) {
        self.api = api
        self.logger = logger
        self.interval = interval
    }

    public func run() async throws {
        await ControllerInput.runRestarting("node IPAM controller", logger: logger, interval: interval, runOnce)
    }

    /// What is left to do, as far as the list and the watch have told.
    struct Work {
        /// Nodes without a range, with the revision they were first seen waiting at: ranges go
        /// to the longest waiting first.
        var waiting: [String: Int64] = [:]
        /// Nodes whose taint or NetworkUnavailable condition does not match their range.
        var unsettled: Set<String> = []

        var oldestFirst: [String] { waiting.sorted { ($0.value, $0.key) < ($1.value, $1.key) }.map(\.key) }
    }

    /// One run until the store ends its watches; `run()` adds restarts and graceful shutdown.
    public func runOnce() async throws {
        let store = api.store
        let prefix = CoreResources.node.prefix(namespace: nil)
        let revision = try await store.currentRevision()
        var ranges: [PodCIDRAllocator.StoredRange] = []
        var work = Work()
        for item in try await ControllerInput.listAll(store: store, prefix: prefix, revision: revision) {
            guard let node = try? api.decode(item) else { continue }
            ranges += KubeAPI.storedRanges(of: node, revision: item.createRevision)
            _ = track(node, since: item.createRevision, &work)
        }
        api.podCIDRAllocator.reconcile(ranges, at: revision)
        let inputs = try await ControllerInput.stream(store: store, prefix: prefix, after: revision, tick: interval)
        await sync(&work)
        for await input in inputs {
            var retry = false
            switch input {
            case .event(let event):
                guard let node = try? api.decode(event.value, revision: event.revision) else { continue }
                retry = observe(node, deleted: event.kind == .deleted, revision: event.revision, &work)
            case .tick:
                retry = !work.waiting.isEmpty
            }
            if retry || !work.unsettled.isEmpty { await sync(&work) }
        }
    }

    /// Follows one Node event in the allocator and the work; returns whether waiting Nodes should
    /// be tried now (a range was freed, or a Node started waiting).
    func observe(_ node: JSON, deleted: Bool, revision: Int64, _ work: inout Work) -> Bool {
        let name = node["metadata"]["name"].string ?? ""
        let ranges = KubeAPI.storedRanges(of: node, revision: revision)
        if deleted {
            for range in ranges { api.podCIDRAllocator.release(range.cidr, node: range.node, revision: revision) }
            work.waiting[name] = nil
            work.unsettled.remove(name)
            return !ranges.isEmpty && !work.waiting.isEmpty
        }
        // Ranges written by others (an operator, another server) are held here too.
        for range in ranges { api.podCIDRAllocator.occupy(range.cidr, node: range.node, revision: revision) }
        return track(node, since: revision, &work)
    }

    /// Files the Node under waiting and unsettled as its state says; returns whether it just
    /// started waiting.
    func track(_ node: JSON, since revision: Int64, _ work: inout Work) -> Bool {
        let name = node["metadata"]["name"].string ?? ""
        var started = false
        if Self.isWaiting(node) {
            started = work.waiting[name] == nil
            if started { work.waiting[name] = revision }
        } else {
            work.waiting[name] = nil
        }
        if isSettled(node) { work.unsettled.remove(name) } else { work.unsettled.insert(name) }
        return started
    }

    /// A Node that has no range and is not being deleted.
    static func isWaiting(_ node: JSON) -> Bool {
        (node["spec"]["podCIDR"].string ?? "").isEmpty && (node["spec"]["podCIDRs"].array ?? []).isEmpty
            && node["metadata"]["deletionTimestamp"].isNull
    }

    /// The NetworkUnavailable condition the Node should have, or nil when its own is right: a
    /// waiting Node says why; a Node that got its range stops saying CIDRNotAvailable.
    func wantedCondition(_ node: JSON) -> (status: String, reason: String, message: String)? {
        let condition = (node["status"]["conditions"].array ?? []).first { $0["type"].string == "NetworkUnavailable" }
        let status = condition?["status"].string
        let reason = condition?["reason"].string
        if Self.isWaiting(node) {
            let message = api.cidrNotAvailableMessage
            if status == "True" && reason == "CIDRNotAvailable" && condition?["message"].string == message { return nil }
            return ("True", "CIDRNotAvailable", message)
        }
        guard status == "True" && reason == "CIDRNotAvailable", let cidr = node["spec"]["podCIDR"].string else { return nil }
        return ("False", "CIDRAssigned", "pod CIDR \(cidr) assigned by the node IPAM controller")
    }

    /// Whether taint and condition match the Node's range (a Node being deleted is left alone).
    func isSettled(_ node: JSON) -> Bool {
        guard node["metadata"]["deletionTimestamp"].isNull else { return true }
        return KubeAPI.hasNetworkUnavailableTaint(node) == Self.isWaiting(node) && wantedCondition(node) == nil
    }

    /// Gives ranges to waiting Nodes, oldest first, until none is free; then settles the taints
    /// and conditions. What fails is tried again on the next tick.
    func sync(_ work: inout Work) async {
        assigning: for name in work.oldestFirst {
            do {
                switch try await assign(name) {
                case .noRangeFree: break assigning  // the Nodes after this one wait too
                case .noLongerWaiting: work.waiting[name] = nil
                case .assigned(let cidr):
                    work.waiting[name] = nil
                    work.unsettled.insert(name)
                    logger.info("pod CIDR assigned to a waiting node", metadata: ["node": "\(name)", "podCIDR": "\(cidr)"])
                }
            } catch {
                logger.debug("pod CIDR assignment retries later", metadata: ["node": "\(name)", "error": "\(error)"])
            }
        }
        for name in work.unsettled.sorted() {
            do {
                try await settle(name)
                work.unsettled.remove(name)
            } catch {
                logger.debug("node taint or condition retries later", metadata: ["node": "\(name)", "error": "\(error)"])
            }
        }
    }

    enum Assignment: Equatable {
        case assigned(String)
        /// Deleted, or given a range by someone else meanwhile.
        case noLongerWaiting
        /// Every range is held: this Node and the ones after it keep waiting.
        case noRangeFree
    }

    /// Gives the Node the next free range, and lifts its network-unavailable taint in the same write.
    func assign(_ name: String) async throws -> Assignment {
        let target = KubeAPI.Target(definition: CoreResources.node, namespace: nil, name: name, subresource: nil)
        guard let stored = try await api.storeGet(CoreResources.node.key(namespace: nil, name: name)) else { return .noLongerWaiting }
        let node = try api.decode(stored)
        guard Self.isWaiting(node), let uid = node["metadata"]["uid"].string else { return .noLongerWaiting }
        guard let cidr = api.podCIDRAllocator.allocate(for: uid) else { return .noRangeFree }
        do {
            var next = node
            next["spec"]["podCIDR"] = .string(cidr)
            next["spec"]["podCIDRs"] = [.string(cidr)]
            next["spec"]["taints"] = KubeAPI.settingNetworkUnavailableTaint(in: node["spec"]["taints"], present: false)
            FieldOwnership.recordUpdate(manager: KubeAPI.nodeIPAMManager, before: node, after: &next)
            // The node's resourceVersion makes this a compare-and-swap: a Node changed meanwhile
            // is a conflict, and the range goes back until the next try.
            _ = try await api.commit(target, stored: stored, current: node, proposed: next)
        } catch {
            api.podCIDRAllocator.release(cidr, node: uid)
            throw error
        }
        return .assigned(cidr)
    }

    /// Makes the Node's taint (spec) and NetworkUnavailable condition (status subresource) match
    /// its range, re-reading it when another write (an agent's heartbeat) gets in between.
    func settle(_ name: String) async throws {
        for attempt in 1...5 {
            guard let stored = try await api.storeGet(CoreResources.node.key(namespace: nil, name: name)) else { return }
            let node = try api.decode(stored)
            guard node["metadata"]["deletionTimestamp"].isNull else { return }
            let waiting = Self.isWaiting(node)
            var next = node
            let subresource: String?
            if KubeAPI.hasNetworkUnavailableTaint(node) != waiting {
                next["spec"]["taints"] = KubeAPI.settingNetworkUnavailableTaint(in: node["spec"]["taints"], present: waiting)
                FieldOwnership.recordUpdate(manager: KubeAPI.nodeIPAMManager, before: node, after: &next)
                subresource = nil
            } else if let wanted = wantedCondition(node) {
                next["status"]["conditions"] = KubeAPI.settingNetworkUnavailable(
                    in: node["status"]["conditions"], status: wanted.status, reason: wanted.reason, message: wanted.message)
                subresource = "status"
            } else {
                return
            }
            let target = KubeAPI.Target(definition: CoreResources.node, namespace: nil, name: name, subresource: subresource)
            do {
                _ = try await api.commit(target, stored: stored, current: node, proposed: next)
            } catch let error as APIError where error.reason == "Conflict" && attempt < 5 {
                continue
            }
        }
    }
}
