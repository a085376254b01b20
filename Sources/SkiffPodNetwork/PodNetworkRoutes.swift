import SkiffJSON
import SkiffNetwork
import SkiffSystem
import Synchronization

/// Makes the host's routes to other nodes' pods match the cluster's Nodes, as flannel does:
/// a plain route to peers on this node's subnet (host-gw), a VXLAN tunnel to the others (or
/// to all, in vxlan mode), and a masquerade for pod traffic leaving the cluster network.
///
/// Each sync reads the kernel's state and writes only the difference, so it is idempotent and
/// cleans what an earlier agent left (our routes carry `proto 115`; the VXLAN device and its
/// entries are ours by name). Calls block while iproute2 and nft run (a few milliseconds
/// each): async callers run them off the cooperative pool. Syncs are serialized.
public final class PodNetworkRoutes: Sendable {
    public let tools: NetworkTools
    /// Held for a whole sync, so two never interleave their reads and writes.
    private let serializer = Mutex<Void>(())

    public init(tools: NetworkTools = NetworkTools()) {
        self.tools = tools
    }

    /// The interface holding `nodeIP`: its MTU gives the pods' (`PodNetworkConfiguration.podMTU`).
    public func uplink(for nodeIP: IPv4Address) throws -> Uplink {
        try Uplink.find(nodeIP, in: tools.json(.ip, ["addr", "show"]))
    }

    /// Brings routes, the VXLAN device, its neighbour and forwarding entries and the masquerade
    /// table in line with `local` and `peers` (every Node; this one and peers without a
    /// podCIDR are left out). Peers that vanished or changed lose their old entries.
    @discardableResult
    public func sync(local: LocalNode, peers: [PeerNode]) throws -> PodNetworkSyncReport {
        try serializer.withLock { _ in
            // Forwarding is what makes the node a router for its pods; the bridge plugin turns
            // it on too, but only once a pod starts.
            try tools.run(.sysctl, ["-q", "-w", "net.ipv4.ip_forward=1"])
            let links = try tools.json(.ip, ["-details", "addr", "show"])
            let uplink = try Uplink.find(local.internalIP, in: links)
            let (desired, planned) = PodNetworkPlan.desired(local: local, uplink: uplink, peers: peers)
            var report = planned
            let current = try observe(links: links)
            let changes = current.changes(to: desired)
            try tools.batch(.ip, changes.links)
            try tools.batch(.bridge, changes.forwarding)
            try tools.batch(.ip, changes.routes)
            report.changes = changes.count
            let masquerade = MasqueradeRules(clusterCIDR: local.clusterCIDR)
            if try !masquerade.isInPlace(listing: currentMasquerade()) {
                try tools.run(.nft, ["-f", "-"], input: masquerade.script)
                report.changes += 1
            }
            return report
        }
    }

    /// Deletes every route, neighbour and forwarding entry, the VXLAN device and the nft table
    /// a sync made (also those of an earlier agent). Doing it twice is fine.
    public func removeAll() throws {
        try serializer.withLock { _ in
            let current = try observe(links: tools.json(.ip, ["-details", "addr", "show"]))
            let changes = current.changes(to: NetworkState())
            try tools.batch(.ip, changes.links)
            try tools.batch(.ip, changes.routes)
            try tools.run(.nft, ["-f", "-"], input: MasqueradeRules.removal)
        }
    }

    /// What the kernel has of ours now.
    private func observe(links: JSON) throws -> NetworkState {
        var state = NetworkState()
        (state.device, state.deviceAddresses) = NetworkState.device(named: VTEP.deviceName, in: links)
        state.routes = NetworkState.routes(in: try tools.json(.ip, ["route", "show", "table", "main", "proto", "\(NetworkState.routeProtocol)"]))
        if state.device != nil {
            state.neighbours = NetworkState.neighbours(in: try tools.json(.ip, ["neigh", "show", "dev", VTEP.deviceName]))
            state.forwarding = NetworkState.forwarding(in: try tools.json(.bridge, ["fdb", "show", "dev", VTEP.deviceName]))
        }
        return state
    }

    /// `nft list table ip skiff-nat`, or "" when there is none.
    private func currentMasquerade() throws -> String {
        let output = try tools.runAllowingFailure(.nft, ["list", "table", MasqueradeRules.family, MasqueradeRules.table])
        return output.status == .exited(0) ? output.stdout : ""
    }
}
