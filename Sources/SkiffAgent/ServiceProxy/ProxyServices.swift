import SkiffAPI
import SkiffServiceProxy

/// What the service proxy programs, from the API's Services and EndpointSlices, as kube-proxy
/// reads them: each Service port finds its endpoints in the slices' port of the same name and
/// protocol (whose number is the pod's resolved targetPort).
enum ProxyServices {
    /// Services the proxy has nothing to do for (headless, ExternalName, no VIP) are left out.
    static func build(services: [KubeService], slices: [EndpointSlice], nodeName: String) -> [ProxyService] {
        var slicesByService: [String: [EndpointSlice]] = [:]
        for slice in slices where slice.addressType == "IPv4" {
            guard let service = slice.serviceName else { continue }
            slicesByService["\(slice.metadata.namespace)/\(service)", default: []].append(slice)
        }
        return services.compactMap { service in
            proxyService(service, slices: slicesByService[service.key] ?? [], nodeName: nodeName)
        }
    }

    static func proxyService(_ service: KubeService, slices: [EndpointSlice], nodeName: String) -> ProxyService? {
        let spec = service.spec
        guard !spec.isHeadless, !spec.clusterIPs.isEmpty else { return nil }
        let kind: ProxyService.Kind
        switch spec.type {
        case .clusterIP: kind = .clusterIP
        case .nodePort: kind = .nodePort
        case .loadBalancer: kind = .loadBalancer
        case .externalName: return nil
        }
        let ports = spec.ports.map { port in
            ProxyServicePort(
                name: port.name, protocol: ProxyProtocol(rawValue: port.protocol.rawValue) ?? .tcp, port: Int(port.port),
                nodePort: port.nodePort.map(Int.init), endpoints: endpoints(for: port, in: slices, nodeName: nodeName))
        }
        return ProxyService(
            namespace: service.metadata.namespace, name: service.metadata.name, type: kind, clusterIPs: spec.clusterIPs,
            loadBalancerIPs: kind == .loadBalancer ? service.loadBalancerIngressIPs + spec.externalIPs : spec.externalIPs,
            sessionAffinityTimeoutSeconds: spec.sessionAffinityTimeoutSeconds,
            externalTrafficPolicyLocal: spec.externalTrafficPolicy == .local && kind != .clusterIP,
            internalTrafficPolicyLocal: spec.internalTrafficPolicy == .local, ports: ports)
    }

    /// The endpoints of one Service port, deduplicated by address (an address may sit in two
    /// slices while the controller moves it).
    static func endpoints(for port: ServicePort, in slices: [EndpointSlice], nodeName: String) -> [ProxyEndpoint] {
        var seen: Set<String> = []
        var result: [ProxyEndpoint] = []
        for slice in slices {
            guard let slicePort = slice.ports.first(where: { $0.name == port.name && $0.protocol == port.protocol }), let number = slicePort.port else {
                continue
            }
            for endpoint in slice.endpoints {
                guard let address = endpoint.addresses.first, seen.insert("\(address):\(number)").inserted else { continue }
                result.append(
                    ProxyEndpoint(
                        address: address, port: Int(number), ready: endpoint.conditions.isReady, serving: endpoint.conditions.isServing,
                        terminating: endpoint.conditions.isTerminating, isLocal: endpoint.nodeName == nodeName))
            }
        }
        return result.sorted { ($0.address, $0.port) < ($1.address, $1.port) }
    }
}
