import SkiffAPI
import SkiffStore

extension KubeAPI {
    /// What a new Node's create did about its pod CIDR; `settlePodCIDR` finishes it once the
    /// store has answered.
    enum PodCIDRAssignment {
        /// The Node came with its own range.
        case given
        /// A free /24 is held for the Node until its create is stored or fails.
        case allocated(String)
        /// No /24 is free: the Node is created without one and says why; the node IPAM
        /// controller gives it the next range that frees up.
        case unavailable
    }

    /// The component the pod CIDR events and conditions come from (as kube-controller-manager's).
    static let nodeIPAMManager = NetworkUnavailable.manager

    /// A new Node without spec.podCIDR gets the next free /24 of the cluster CIDR (spec.podCIDR and
    /// spec.podCIDRs); one created with a podCIDR keeps it once it is checked to be a CIDR. When
    /// none is free the Node is still created, with `NetworkUnavailable=True` (CIDRNotAvailable)
    /// and the network-unavailable NoSchedule taint.
    func assignPodCIDR(_ node: inout JSON) async throws -> PodCIDRAssignment {
        let name = node["metadata"]["name"].string ?? ""
        if let given = node["spec"]["podCIDR"].string, !given.isEmpty {
            try Self.checkPodCIDRs(node, name: name)
            if node["spec"]["podCIDRs"].isNull { node["spec"]["podCIDRs"] = [.string(given)] }
            return .given
        }
        if let first = node["spec"]["podCIDRs"].array?.first?.string {
            // Only the plural form was given: mirror it as Kubernetes does.
            node["spec"]["podCIDR"] = .string(first)
            try Self.checkPodCIDRs(node, name: name)
            return .given
        }
        if !podCIDRAllocator.isSynced { try await syncPodCIDRs() }
        guard let cidr = podCIDRAllocator.allocate(for: node["metadata"]["uid"].string ?? name) else {
            node["status"]["conditions"] = NetworkUnavailable.settingCondition(
                in: node["status"]["conditions"], status: "True", reason: "CIDRNotAvailable", message: cidrNotAvailableMessage)
            node["spec"]["taints"] = NetworkUnavailable.settingTaint(in: node["spec"]["taints"], present: true)
            return .unavailable
        }
        node["spec"]["podCIDR"] = .string(cidr)
        node["spec"]["podCIDRs"] = [.string(cidr)]
        return .allocated(cidr)
    }

    /// Tells the allocator how a Node's create ended: stored at `revision`, or not stored (nil:
    /// it failed, or was a dry run) so a range held for it goes back. A Node stored without a
    /// range gets the CIDRNotAvailable event.
    func settlePodCIDR(_ assignment: PodCIDRAssignment, node: JSON, revision: Int64?) async {
        let uid = node["metadata"]["uid"].string ?? node["metadata"]["name"].string ?? ""
        switch (assignment, revision) {
        case (.allocated(let cidr), nil): podCIDRAllocator.release(cidr, node: uid)
        case (.allocated, let revision?), (.given, let revision?):
            for range in Self.storedRanges(of: node, revision: revision) { podCIDRAllocator.occupy(range.cidr, node: range.node, revision: revision) }
        case (.unavailable, _?):
            let name = node["metadata"]["name"].string ?? ""
            logger.warning("node registered without a pod CIDR", metadata: ["node": "\(name)", "clusterCIDR": "\(podCIDRAllocator.clusterCIDR)"])
            await recordNodeEvent(
                node, type: "Warning", reason: "CIDRNotAvailable",
                message: "Node \(name) status is now: CIDRNotAvailable (no free /24 left in cluster CIDR \(podCIDRAllocator.clusterCIDR))")
        case (.given, nil), (.unavailable, nil): break
        }
    }

    /// An update giving a Node its first range (the node IPAM controller's, or an operator's)
    /// holds that range in the allocator before it is stored, so it can never go to two Nodes:
    /// a range another Node holds is a 409 Conflict. Returns the ranges held for the write, to
    /// release if it fails.
    func claimPodCIDRs(current: JSON, next: JSON) async throws -> [String] {
        guard (current["spec"]["podCIDR"].string ?? "").isEmpty else { return [] }
        let ranges = Self.storedRanges(of: next, revision: 0)
        guard !ranges.isEmpty else { return [] }
        if !podCIDRAllocator.isSynced { try await syncPodCIDRs() }
        var claimed: [String] = []
        for range in ranges {
            guard podCIDRAllocator.claim(range.cidr, node: range.node) else {
                releasePodCIDRs(claimed, of: next)
                throw APIError(
                    code: 409, reason: "Conflict",
                    message:
                        "Operation cannot be fulfilled on nodes \"\(next["metadata"]["name"].string ?? "")\": pod CIDR \(range.cidr) is already assigned to another node"
                )
            }
            claimed.append(range.cidr)
        }
        return claimed
    }

    /// Gives back ranges `claimPodCIDRs` held for a write that failed.
    func releasePodCIDRs(_ cidrs: [String], of node: JSON) {
        let uid = node["metadata"]["uid"].string ?? node["metadata"]["name"].string ?? ""
        for cidr in cidrs { podCIDRAllocator.release(cidr, node: uid) }
    }

    /// An update that gave a Node its first range (the node IPAM controller's, or an operator's):
    /// the allocator records it as held.
    func podCIDRStored(current: JSON, next: JSON, revision: Int64) {
        guard current["spec"]["podCIDR"].isNull else { return }
        for range in Self.storedRanges(of: next, revision: revision) { podCIDRAllocator.occupy(range.cidr, node: range.node, revision: revision) }
    }

    /// Fills the allocator from a list of the Nodes (before the first allocation, when the node
    /// IPAM controller has not done it yet).
    func syncPodCIDRs() async throws {
        let prefix = CoreResources.node.prefix(namespace: nil)
        let revision: Int64
        do { revision = try await store.currentRevision() } catch { throw Self.map(error, nil, name: nil) }
        let items = try await ControllerInput.listAll(store: store, prefix: prefix, revision: revision)
        podCIDRAllocator.reconcile(try items.flatMap { Self.storedRanges(of: try decode($0), revision: $0.createRevision) }, at: revision)
    }

    /// A Node's ranges as the allocator keys them (by the Node's uid).
    static func storedRanges(of node: JSON, revision: Int64) -> [PodCIDRAllocator.StoredRange] {
        let uid = node["metadata"]["uid"].string ?? node["metadata"]["name"].string ?? ""
        var cidrs = (node["spec"]["podCIDRs"].array ?? []).compactMap(\.string)
        if cidrs.isEmpty, let single = node["spec"]["podCIDR"].string, !single.isEmpty { cidrs = [single] }
        return cidrs.map { PodCIDRAllocator.StoredRange(cidr: $0, node: uid, revision: revision) }
    }

    /// Why a Node has no range, for its NetworkUnavailable condition.
    var cidrNotAvailableMessage: String { NetworkUnavailable.cidrNotAvailableMessage(clusterCIDR: podCIDRAllocator.clusterCIDR) }

    /// Records an event about a Node in `default`, where Kubernetes puts events of cluster-scoped
    /// objects. A failure is logged: the Node's condition says the same.
    func recordNodeEvent(_ node: JSON, type: String, reason: String, message: String) async {
        let name = node["metadata"]["name"].string ?? ""
        let now = Timestamp.now()
        let event: JSON = [
            "apiVersion": "v1", "kind": "Event",
            "metadata": ["generateName": .string("\(name)."), "namespace": "default"],
            "involvedObject": ["kind": "Node", "apiVersion": "v1", "name": .string(name), "uid": node["metadata"]["uid"]],
            "reason": .string(reason), "message": .string(message), "type": .string(type),
            "source": ["component": .string(Self.nodeIPAMManager)], "reportingComponent": .string(Self.nodeIPAMManager),
            "firstTimestamp": .string(now), "lastTimestamp": .string(now), "count": 1,
        ]
        do {
            _ = try await createInProcess(event, plural: "events", namespace: "default", fieldManager: Self.nodeIPAMManager)
        } catch {
            logger.warning("could not record a node event", metadata: ["node": "\(name)", "reason": "\(reason)", "error": "\(error)"])
        }
    }

    /// A Node keeps its podCIDR for life: an update that leaves it out keeps the stored one, an
    /// update that changes it is refused (Kubernetes: "may not change podCIDR except from \"\"").
    func keepPodCIDR(current: JSON, next: inout JSON) throws {
        for field in ["podCIDR", "podCIDRs"] {
            let stored = current["spec"][field]
            if stored.isNull { continue }
            if next["spec"][field].isNull {
                next["spec"][field] = stored
            } else if next["spec"][field] != stored {
                throw APIError.invalid(
                    kind: "Node", name: current["metadata"]["name"].string ?? "",
                    causes: [("spec.\(field)", "Forbidden: node updates may not change podCIDR except from \"\" to valid")])
            }
        }
        if current["spec"]["podCIDR"].isNull { try Self.checkPodCIDRs(next, name: next["metadata"]["name"].string ?? "") }
    }

    static func checkPodCIDRs(_ node: JSON, name: String) throws {
        var causes: [(field: String, message: String)] = []
        if let cidr = node["spec"]["podCIDR"].string, !cidr.isEmpty, !PodCIDRAllocator.isCIDR(cidr) {
            causes.append(("spec.podCIDR", "Invalid value: \"\(cidr)\": must be a valid CIDR such as 10.42.1.0/24"))
        }
        for (index, cidr) in (node["spec"]["podCIDRs"].array ?? []).enumerated() {
            guard let text = cidr.string, PodCIDRAllocator.isCIDR(text) else {
                causes.append(("spec.podCIDRs[\(index)]", "Invalid value: \(cidr.serialized): must be a valid CIDR such as 10.42.1.0/24"))
                continue
            }
        }
        if let first = node["spec"]["podCIDRs"].array?.first?.string, let single = node["spec"]["podCIDR"].string, !single.isEmpty, first != single {
            causes.append(("spec.podCIDRs", "Invalid value: the first entry must equal spec.podCIDR (\(single))"))
        }
        if !causes.isEmpty { throw APIError.invalid(kind: "Node", name: name, causes: causes) }
    }
}
