/// The records at one owner name of the cluster zone.
struct ClusterDNSNode: Sendable {
    var addresses: [IPAddress] = []
    var canonicalName: DNSName?
    var services: [DNSServiceRecord] = []
    var text: [[UInt8]] = []
}
