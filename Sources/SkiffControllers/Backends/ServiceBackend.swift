import SkiffAPI

/// One pod behind one Service, as both endpoint controllers publish it: its address, its
/// readiness for this Service, and the Service's ports resolved against its containers.
public struct ServiceBackend: Sendable, Equatable {
    public let address: String
    /// Traffic may go here: the pod is Ready and not terminating, or the Service publishes
    /// not-ready addresses.
    public let ready: Bool
    /// The pod is Ready, terminating or not (a terminating pod may still finish its requests).
    public let serving: Bool
    /// The pod's deletion has begun.
    public let terminating: Bool
    /// The pod's `hostname` when its `subdomain` names this Service: DNS publishes it.
    public let hostname: String?
    public let nodeName: String?
    public let pod: ObjectReference
    /// The Service's ports this pod serves, in the Service's order (a named `targetPort` is
    /// looked up in the pod's container ports, so pods may differ).
    public let ports: [EndpointPort]

    public init(
        address: String, ready: Bool, serving: Bool, terminating: Bool, hostname: String?, nodeName: String?, pod: ObjectReference,
        ports: [EndpointPort]
    ) {
        self.address = address
        self.ready = ready
        self.serving = serving
        self.terminating = terminating
        self.hostname = hostname
        self.nodeName = nodeName
        self.pod = pod
        self.ports = ports
    }

    /// The EndpointSlice form.
    public var endpoint: Endpoint {
        Endpoint(
            addresses: [address], conditions: EndpointConditions(ready: ready, serving: serving, terminating: terminating), hostname: hostname,
            nodeName: nodeName, targetRef: pod)
    }
}

/// A Service port whose named `targetPort` a selected pod does not declare.
public struct UnresolvedPort: Sendable, Hashable {
    public let pod: ObjectReference
    /// The Service port's name ("" when it has one port).
    public let servicePort: String
    public let targetPort: String
}
