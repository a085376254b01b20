import SkiffNetwork

/// Decides how this node reaches each peer's pods, and the routes, VXLAN device and entries
/// that takes. Pure: the same inputs give the same state, which is what makes a sync idempotent.
enum PodNetworkPlan {
    static func desired(local: LocalNode, uplink: Uplink, peers: [PeerNode]) -> (state: NetworkState, report: PodNetworkSyncReport) {
        var state = NetworkState()
        var report = PodNetworkSyncReport()
        if local.mode != .hostGateway {
            // Kept in auto mode even while every peer is one hop away, as flannel's
            // DirectRouting does: a peer on another subnet then needs no device change.
            state.device = NetworkState.Device(
                local: local.internalIP, underlying: uplink.name, mtu: uplink.mtu - PodNetworkMode.vxlanOverhead,
                mac: VTEP.mac(for: local.internalIP))
            state.deviceAddresses = ["\(local.podCIDR.networkAddress)/32"]
        }
        var claimed: [(peer: String, podCIDR: IPv4Network)] = [(local.name, local.podCIDR)]
        var addresses: [IPv4Address: String] = [:]
        // By name, so which of two peers claiming one podCIDR wins does not depend on list order.
        for peer in peers.sorted(by: { $0.name < $1.name }) where peer.name != local.name {
            let skip = { (reason: String) in report.skipped.append(PodNetworkSyncReport.Skipped(peer: peer.name, reason: reason)) }
            guard peer.internalIP != local.internalIP else {
                skip("its address \(peer.internalIP) is this node's")
                continue
            }
            guard let podCIDR = peer.podCIDR else {
                skip("no podCIDR assigned yet")
                continue
            }
            guard local.clusterCIDR.prefixLength <= podCIDR.prefixLength, local.clusterCIDR.contains(podCIDR.networkAddress) else {
                skip("podCIDR \(podCIDR) is outside the cluster CIDR \(local.clusterCIDR)")
                continue
            }
            if let owner = addresses[peer.internalIP] {
                // Their VTEPs would share a MAC and the forwarding entry could name only one.
                skip("its address \(peer.internalIP) is also \(owner)'s")
                continue
            }
            if let owner = claimed.first(where: { $0.podCIDR.overlaps(podCIDR) }) {
                skip("podCIDR \(podCIDR) overlaps \(owner.peer)'s \(owner.podCIDR)")
                continue
            }
            let adjacent = uplink.subnet.contains(peer.internalIP)
            let tunneled: Bool
            switch local.mode {
            case .hostGateway:
                guard adjacent else {
                    skip("its address \(peer.internalIP) is outside \(uplink.subnet): host-gw needs peers on this node's subnet (use auto or vxlan)")
                    continue
                }
                tunneled = false
            case .auto: tunneled = !adjacent
            case .vxlan: tunneled = true
            }
            let path: PodNetworkSyncReport.Path
            if tunneled {
                let vtep = VTEP(nodeIP: peer.internalIP, podCIDR: podCIDR)
                path = .vxlan(vtep)
                state.routes.append(NetworkState.Route(destination: podCIDR, gateway: vtep.address, device: VTEP.deviceName, onlink: true))
                state.neighbours.append(NetworkState.Neighbour(address: vtep.address, mac: vtep.mac))
                state.forwarding.append(NetworkState.ForwardingEntry(mac: vtep.mac, destination: peer.internalIP))
            } else {
                path = .hostGateway(via: peer.internalIP)
                state.routes.append(NetworkState.Route(destination: podCIDR, gateway: peer.internalIP, device: uplink.name, onlink: false))
            }
            claimed.append((peer.name, podCIDR))
            addresses[peer.internalIP] = peer.name
            report.routes.append(PodNetworkSyncReport.Route(peer: peer.name, podCIDR: podCIDR, path: path))
        }
        return (state, report)
    }
}
