import SkiffAPI
import SkiffDNS

/// What the DNS server answers, from the API's Services and EndpointSlices: a ClusterIP
/// Service's VIP and ports, a headless Service's ready endpoints (with their hostnames) and its
/// slices' ports, an ExternalName's target.
enum DNSServices {
    static func build(services: [KubeService], slices: [EndpointSlice]) -> [DNSService] {
        var slicesByService: [String: [EndpointSlice]] = [:]
        for slice in slices where slice.addressType == "IPv4" {
            guard let service = slice.serviceName else { continue }
            slicesByService["\(slice.metadata.namespace)/\(service)", default: []].append(slice)
        }
        return services.map { service in dnsService(service, slices: slicesByService[service.key] ?? []) }
    }

    static func dnsService(_ service: KubeService, slices: [EndpointSlice]) -> DNSService {
        let spec = service.spec
        let namespace = service.metadata.namespace.isEmpty ? "default" : service.metadata.namespace
        if spec.type == .externalName {
            return DNSService(namespace: namespace, name: service.metadata.name, clusterIPs: [], externalName: spec.externalName, ports: [], endpoints: [])
        }
        guard spec.isHeadless else {
            let ports = spec.ports.map { DNSPort(name: $0.name.isEmpty ? nil : $0.name, protocol: $0.protocol.rawValue, port: Int($0.port)) }
            return DNSService(namespace: namespace, name: service.metadata.name, clusterIPs: spec.clusterIPs, externalName: nil, ports: ports, endpoints: [])
        }
        // Headless: the records are the endpoints themselves; not-ready ones only when the
        // Service publishes them.
        var ports: [DNSPort] = []
        var endpoints: [DNSEndpoint] = []
        var seen: Set<String> = []
        for slice in slices {
            for port in slice.ports {
                guard let number = port.port else { continue }
                let dnsPort = DNSPort(name: port.name.isEmpty ? nil : port.name, protocol: port.protocol.rawValue, port: Int(number))
                if !ports.contains(dnsPort) { ports.append(dnsPort) }
            }
            for endpoint in slice.endpoints {
                guard let address = endpoint.addresses.first, seen.insert(address).inserted else { continue }
                endpoints.append(
                    DNSEndpoint(address: address, hostname: endpoint.hostname, ready: endpoint.conditions.isReady || spec.publishNotReadyAddresses))
            }
        }
        return DNSService(
            namespace: namespace, name: service.metadata.name, clusterIPs: [], externalName: nil, ports: ports,
            endpoints: endpoints.sorted { $0.address < $1.address })
    }
}
