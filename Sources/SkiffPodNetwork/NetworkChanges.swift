/// The commands that turn the kernel's state into the wanted one, in the order they run:
/// `ip -batch` lines for the device, `bridge -batch` lines for its forwarding entries, then
/// `ip -batch` lines for neighbours and routes.
struct NetworkChanges: Equatable, Sendable {
    var links: [String] = []
    var forwarding: [String] = []
    var routes: [String] = []

    var isEmpty: Bool { links.isEmpty && forwarding.isEmpty && routes.isEmpty }
    var count: Int { links.count + forwarding.count + routes.count }
}

extension NetworkState {
    /// What to run so that the kernel, now in this state, ends in `desired`. Only differences
    /// are written; entries another program made (other route protocols, other devices) are
    /// never named.
    func changes(to desired: NetworkState) -> NetworkChanges {
        var changes = NetworkChanges()
        var current = self
        switch (device, desired.device) {
        case (nil, nil):
            break
        case (let have?, nil):
            changes.links.append("link del \(have.name)")
            current.forgetDevice(have.name)
        case (nil, let want?):
            changes.links += want.creation
        case (let have?, let want?):
            if !have.sameTunnel(as: want) {
                changes.links += ["link del \(have.name)"] + want.creation
                current.forgetDevice(have.name)
            } else if have.mtu != want.mtu || have.mac != want.mac || !have.up {
                changes.links.append(want.settings)
            }
        }
        guard let name = desired.device?.name ?? current.device?.name else {
            changes.routes = routeChanges(from: current.routes, to: desired.routes, neighbourCommands: [])
            return changes
        }
        if desired.device != nil {
            for address in current.deviceAddresses where !desired.deviceAddresses.contains(address) {
                changes.links.append("address del \(address) dev \(name)")
            }
            for address in desired.deviceAddresses where !current.deviceAddresses.contains(address) {
                changes.links.append("address replace \(address) dev \(name)")
            }
        }
        let wantedMACs = Set(desired.forwarding.map(\.mac))
        for entry in current.forwarding where !wantedMACs.contains(entry.mac) {
            changes.forwarding.append("fdb del \(entry.mac) dev \(name) dst \(entry.destination) self")
        }
        for entry in desired.forwarding where !current.forwarding.contains(entry) {
            changes.forwarding.append("fdb replace \(entry.mac) dev \(name) dst \(entry.destination) self permanent")
        }
        var neighbourCommands: [String] = []
        let wantedNeighbours = Set(desired.neighbours.map(\.address))
        for entry in current.neighbours where !wantedNeighbours.contains(entry.address) {
            neighbourCommands.append("neigh del \(entry.address) dev \(name)")
        }
        for entry in desired.neighbours where !current.neighbours.contains(entry) {
            neighbourCommands.append("neigh replace \(entry.address) lladdr \(entry.mac) dev \(name) nud permanent")
        }
        changes.routes = routeChanges(from: current.routes, to: desired.routes, neighbourCommands: neighbourCommands)
        return changes
    }

    /// Stale routes go first, then the neighbour entries, then the new routes: a replaced route
    /// for the same podCIDR must not be deleted after it was written.
    private func routeChanges(from current: [Route], to desired: [Route], neighbourCommands: [String]) -> [String] {
        let wantedDestinations = Set(desired.map(\.destination))
        var commands = current.filter { !wantedDestinations.contains($0.destination) }.map { route in
            "route del \(route.destination) via \(route.gateway) dev \(route.device) proto \(NetworkState.routeProtocol)"
        }
        commands += neighbourCommands
        for route in desired where !current.contains(route) {
            commands.append(
                "route replace \(route.destination) via \(route.gateway) dev \(route.device)\(route.onlink ? " onlink" : "") proto \(NetworkState.routeProtocol)"
            )
        }
        return commands
    }

    /// Deleting a device deletes its addresses, neighbours, forwarding entries and routes.
    private mutating func forgetDevice(_ name: String) {
        device = nil
        deviceAddresses = []
        neighbours = []
        forwarding = []
        routes.removeAll { $0.device == name }
    }
}

extension NetworkState.Device {
    var creation: [String] {
        let underlyingDevice = underlying.map { " dev \($0)" } ?? ""
        return [
            "link add \(name) type vxlan id \(vni) local \(local)\(underlyingDevice) dstport \(port) \(learning ? "learning" : "nolearning")",
            settings,
        ]
    }

    var settings: String { "link set \(name) mtu \(mtu) address \(mac) up" }
}
