/// A service port; only named ports get SRV records (`_name._tcp.svc.ns.svc.zone`).
public struct DNSPort: Hashable, Sendable {
    public var name: String?
    /// "TCP", "UDP" or "SCTP", as in the API.
    public var `protocol`: String
    public var port: Int

    public init(name: String?, protocol: String = "TCP", port: Int) {
        self.name = name
        self.protocol = `protocol`
        self.port = port
    }
}
