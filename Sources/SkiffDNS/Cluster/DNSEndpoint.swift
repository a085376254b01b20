/// An address of a headless service's EndpointSlice. Only ready ones are published.
public struct DNSEndpoint: Hashable, Sendable {
    public var address: String
    /// The pod's hostname when it set `subdomain` to the service (StatefulSet pods do).
    public var hostname: String?
    public var ready: Bool

    public init(address: String, hostname: String? = nil, ready: Bool = true) {
        self.address = address
        self.hostname = hostname
        self.ready = ready
    }
}
