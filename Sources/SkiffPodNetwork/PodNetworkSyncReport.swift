import SkiffNetwork

/// What a sync left in place: how each peer is reached, which peers were left out and why, and
/// how many kernel changes it took (0 when everything already matched).
public struct PodNetworkSyncReport: Sendable, Equatable {
    public var routes: [Route] = []
    public var skipped: [Skipped] = []
    public var changes = 0

    /// One peer's pods and the way to them.
    public struct Route: Sendable, Equatable {
        public var peer: String
        public var podCIDR: IPv4Network
        public var path: Path
    }

    public enum Path: Sendable, Equatable {
        /// A plain route via the peer's address: it is on this node's subnet.
        case hostGateway(via: IPv4Address)
        /// Through the VXLAN device to the peer's tunnel end.
        case vxlan(VTEP)
    }

    /// A peer that gets no route, with the reason for the agent's log.
    public struct Skipped: Sendable, Equatable {
        public var peer: String
        public var reason: String
    }
}
