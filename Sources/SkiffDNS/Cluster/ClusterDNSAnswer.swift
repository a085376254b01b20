/// What the cluster zone says about one question.
public struct ClusterDNSAnswer: Sendable, Equatable {
    public var code: DNSResponseCode
    public var answers: [DNSResourceRecord] = []
    /// The SOA for NXDOMAIN and NODATA (RFC 2308 negative answers).
    public var authority: [DNSResourceRecord] = []
    /// Addresses of SRV targets.
    public var additional: [DNSResourceRecord] = []
    /// An ExternalName's target outside the zone: the server resolves it upstream and appends
    /// those records after the CNAME.
    public var externalTarget: DNSName?

    public init(code: DNSResponseCode) {
        self.code = code
    }
}
