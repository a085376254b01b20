import SkiffAPI
import SkiffSystem

/// A pod as policies see it: where it lives, its labels, its address and its named ports. Pods
/// without an IPv4 address yet, host-network pods and finished pods are left out by the caller
/// (policies do not apply to them, and a finished pod's address may be reused).
public struct PolicyPod: Sendable, Equatable {
    public let namespace: String
    public let name: String
    public let labels: [String: String]
    public let ip: String
    /// Runs on this node: only local pods are isolated here (ingress at the destination's node,
    /// egress at the source's); every pod can be a peer.
    public let isLocal: Bool
    public let namedPorts: [NamedPort]

    public init(namespace: String, name: String, labels: [String: String], ip: String, isLocal: Bool, namedPorts: [NamedPort] = []) {
        self.namespace = namespace
        self.name = name
        self.labels = labels
        self.ip = ip
        self.isLocal = isLocal
        self.namedPorts = namedPorts
    }

    /// A container port with a name, which a policy's `port: NAME` resolves to.
    public struct NamedPort: Sendable, Equatable {
        public let name: String
        public let `protocol`: Container.PortProtocol
        public let port: Int32

        public init(name: String, protocol: Container.PortProtocol, port: Int32) {
            self.name = name
            self.protocol = `protocol`
            self.port = port
        }
    }

    /// The view of an API pod, or nil when policies ignore it (no IPv4 address yet, host network,
    /// finished).
    public init?(_ pod: Pod, localNode: String) {
        guard let ip = pod.status.podIP, IPv4.parse(ip) != nil, !pod.spec.hostNetwork else { return nil }
        if pod.status.phase == .succeeded || pod.status.phase == .failed { return nil }
        let ports = pod.spec.containers.flatMap(\.ports).compactMap { port in
            port.name.map { NamedPort(name: $0, protocol: port.protocol, port: port.containerPort) }
        }
        self.init(
            namespace: pod.namespace, name: pod.name, labels: pod.labels, ip: ip, isLocal: pod.spec.nodeName == localNode, namedPorts: ports)
    }
}

/// A namespace's name and labels, which `namespaceSelector` matches.
public struct PolicyNamespace: Sendable, Equatable {
    public let name: String
    public let labels: [String: String]

    public init(name: String, labels: [String: String]) {
        self.name = name
        self.labels = labels
    }
}
