import SkiffNetwork
import SkiffSystem

/// This node as the pod network sees it: its address, its share of the cluster's pod addresses,
/// and how it reaches the others.
public struct LocalNode: Sendable, Equatable {
    public var name: String
    public var internalIP: IPv4Address
    /// The node's spec.podCIDR, e.g. 10.42.1.0/24.
    public var podCIDR: IPv4Network
    /// Every node's podCIDR lies in it (the server's --cluster-cidr, 10.42.0.0/16 by default).
    public var clusterCIDR: IPv4Network
    public var mode: PodNetworkMode

    public init(
        name: String, internalIP: String, podCIDR: String, clusterCIDR: String = "10.42.0.0/16", mode: PodNetworkMode = .auto
    )
        throws(RuntimeError)
    {
        self.name = name
        self.internalIP = try IPv4Address(internalIP, naming: "node \(name)'s InternalIP")
        self.podCIDR = try IPv4Network(podCIDR).canonical
        self.clusterCIDR = try IPv4Network(clusterCIDR).canonical
        self.mode = mode
        guard self.clusterCIDR.prefixLength <= self.podCIDR.prefixLength, self.clusterCIDR.contains(self.podCIDR.networkAddress) else {
            throw RuntimeError("node \(name)'s podCIDR \(podCIDR) is not inside the cluster CIDR \(clusterCIDR)")
        }
    }
}

/// Another node, from its Node object: where its pods live and the address that reaches it.
public struct PeerNode: Sendable, Equatable {
    public var name: String
    public var internalIP: IPv4Address
    /// nil until the server assigned one; such a peer gets no route yet.
    public var podCIDR: IPv4Network?

    public init(name: String, internalIP: String, podCIDR: String?) throws(RuntimeError) {
        self.name = name
        self.internalIP = try IPv4Address(internalIP, naming: "node \(name)'s InternalIP")
        self.podCIDR = try podCIDR.map { (text) throws(RuntimeError) in try IPv4Network(text).canonical }
    }
}
