/// An immutable snapshot of the cluster zone, built from plain Service inputs and looked up by
/// lowercased name. The server swaps in a new snapshot on every change; lookups never lock.
///
/// The records follow the Kubernetes DNS specification (kubernetes/dns docs/specification.md)
/// and CoreDNS's kubernetes plugin where the specification leaves room: SRV weights split 100
/// between the targets, endpoints without a hostname are named by their dashed address, and
/// `a-b-c-d.ns.pod.zone` answers for any address ("pods insecure").
public struct ClusterDNSRecords: Sendable {
    /// The specification's version, served as TXT at `dns-version.<zone>`.
    public static let specificationVersion = "1.1.0"

    public let zone: DNSName
    public let ttl: UInt32
    public let serial: UInt32
    /// Owner name key → records; names that only have descendants are present with no records,
    /// so they answer NODATA instead of NXDOMAIN.
    var nodes: [String: ClusterDNSNode] = [:]
    /// Reverse name key (`1.0.43.10.in-addr.arpa`) → the name a PTR query gets.
    var pointers: [String: DNSName] = [:]
    public private(set) var serviceCount = 0

    public static let empty = ClusterDNSRecords(services: [])

    /// - Parameters:
    ///   - zone: the cluster domain (`--cluster-domain`).
    ///   - ttl: every record's TTL, and the SOA's negative-caching minimum (CoreDNS's 5 s).
    ///   - serial: the SOA serial; bump it on every update so secondaries could notice.
    ///   - nameserverAddresses: the DNS service's addresses, published as `ns.dns.<zone>`, the
    ///     name the zone's NS and SOA records point at.
    public init(
        zone: String = "cluster.local", ttl: UInt32 = 5, serial: UInt32 = 1, nameserverAddresses: [String] = [], services: [DNSService]
    ) {
        self.zone = (try? DNSName(zone)) ?? DNSName(validatedLabels: [Array("cluster".utf8), Array("local".utf8)])
        self.ttl = ttl
        self.serial = serial
        nodes[self.zone.key] = ClusterDNSNode()
        for label in ["svc", "pod"] { addNode(self.zone.prepending(Array(label.utf8))) }
        addNode(self.zone.prepending(Array("dns-version".utf8))) { $0.text = [Array(Self.specificationVersion.utf8)] }
        let nameserver = nameserverName
        let nameserverIPs = nameserverAddresses.compactMap { IPAddress($0) }
        addNode(nameserver) { $0.addresses = nameserverIPs }
        for service in services { add(service) }
        assignWeights()
    }

    /// `ns.dns.<zone>`: the primary in the SOA and the target of the apex NS record.
    var nameserverName: DNSName { zone.prepending(Array("dns".utf8)).prepending(Array("ns".utf8)) }

    /// The SOA at the apex; its minimum is the TTL a resolver caches NXDOMAIN and NODATA for.
    var startOfAuthority: DNSResourceRecord {
        let soa = DNSStartOfAuthority(
            primary: nameserverName, mailbox: zone.prepending(Array("hostmaster".utf8)), serial: serial, refresh: 7200, retry: 1800,
            expire: 86400, minimum: ttl)
        return DNSResourceRecord(name: zone, type: .soa, ttl: ttl, data: .soa(soa))
    }

    private mutating func add(_ service: DNSService) {
        guard let base = try? DNSName("\(service.name).\(service.namespace).svc.\(zone)") else { return }
        serviceCount += 1
        if let externalName = service.externalName, !externalName.isEmpty {
            guard let target = try? DNSName(externalName) else { return }
            addNode(base) { $0.canonicalName = target }
            return
        }
        let clusterIPs = service.clusterIPs.filter { $0 != "None" }.compactMap { IPAddress($0) }
        let namedPorts = service.ports.compactMap { port -> (label: DNSName, port: UInt16)? in
            guard let name = port.name, !name.isEmpty, (1...65535).contains(port.port) else { return nil }
            let proto = "_" + port.protocol.lowercased()
            return (base.prepending(Array(proto.utf8)).prepending(Array(("_" + name.lowercased()).utf8)), UInt16(port.port))
        }
        if !clusterIPs.isEmpty {
            addNode(base) { $0.addresses += clusterIPs }
            for address in clusterIPs { pointers[address.reverseName.key] = base }
            for port in namedPorts {
                addNode(port.label) { $0.services.append(DNSServiceRecord(priority: 0, weight: 100, port: port.port, target: base)) }
            }
            return
        }
        // Headless: the service name lists the ready endpoints; each endpoint has its own name.
        addNode(base)
        var seen = Set<IPAddress>()
        for endpoint in service.endpoints where endpoint.ready {
            guard let address = IPAddress(endpoint.address), seen.insert(address).inserted else { continue }
            let label = endpoint.hostname.flatMap { $0.isEmpty ? nil : $0.lowercased() } ?? address.dashed
            guard label.utf8.count <= DNSName.maxLabelLength, base.wireLength + label.utf8.count + 1 <= DNSName.maxWireLength else { continue }
            let endpointName = base.prepending(Array(label.utf8))
            addNode(base) { $0.addresses.append(address) }
            addNode(endpointName) { $0.addresses.append(address) }
            pointers[address.reverseName.key] = endpointName
            for port in namedPorts {
                addNode(port.label) { $0.services.append(DNSServiceRecord(priority: 0, weight: 100, port: port.port, target: endpointName)) }
            }
        }
    }

    /// Adds (or updates) a node and makes every name between it and the zone exist.
    private mutating func addNode(_ name: DNSName, _ update: (inout ClusterDNSNode) -> Void = { _ in }) {
        guard name.wireLength <= DNSName.maxWireLength else { return }
        update(&nodes[name.key, default: ClusterDNSNode()])
        var labels = name.labels
        while labels.count > zone.labels.count + 1 {
            labels.removeFirst()
            let key = DNSName.key(of: labels[...])
            if nodes[key] != nil { break }
            nodes[key] = ClusterDNSNode()
        }
    }

    /// CoreDNS's split: equal-priority targets share a weight of 100.
    private mutating func assignWeights() {
        for (key, node) in nodes where node.services.count > 1 {
            let weight = UInt16(max(1, 100 / node.services.count))
            nodes[key]?.services = node.services.map {
                var record = $0
                record.weight = weight
                return record
            }
        }
    }
}
