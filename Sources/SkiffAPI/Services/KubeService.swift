/// A core/v1 Service (named so beside swift-service-lifecycle's `Service`) as the proxy, the DNS server and the endpoint controllers read it, decoded
/// once with the API server's defaults applied where the stored object may lack them.
public struct KubeService: Sendable, Equatable {
    public let metadata: ObjectMeta
    public let spec: ServiceSpec
    /// `status.loadBalancer.ingress[].ip`: the addresses a LoadBalancer Service is served on.
    public let loadBalancerIngressIPs: [String]

    public init(json: JSON) throws(JSONShapeError) {
        let root = JSONField(json)
        metadata = try root.field("metadata", default: ObjectMeta.empty)
        spec = try root.field("spec", default: try ServiceSpec(json: JSONField(JSON.emptyObject, path: "spec")))
        let status = JSONField(try root.field("status", default: JSON.emptyObject), path: "status")
        let loadBalancer = JSONField(try status.field("loadBalancer", default: JSON.emptyObject), path: "status.loadBalancer")
        let ingress: [LoadBalancerIngress] = try loadBalancer.field("ingress", default: [])
        loadBalancerIngressIPs = ingress.compactMap(\.ip)
    }

    public var key: String { metadata.key }

    private struct LoadBalancerIngress: JSONDecodable {
        let ip: String?
        init(json: JSONField) throws(JSONShapeError) { ip = try json.optional("ip") }
    }
}

public struct ServiceSpec: Sendable, Equatable, JSONDecodable {
    public enum ServiceType: String, Sendable, Equatable {
        case clusterIP = "ClusterIP"
        case nodePort = "NodePort"
        case loadBalancer = "LoadBalancer"
        case externalName = "ExternalName"
    }

    /// Cluster: every endpoint; Local: only endpoints on the node the traffic arrived at.
    public enum TrafficPolicy: String, Sendable, Equatable {
        case cluster = "Cluster"
        case local = "Local"
    }

    public let type: ServiceType
    /// The virtual IPs (`clusterIPs`, else `clusterIP`); empty for headless and ExternalName Services.
    public let clusterIPs: [String]
    /// `clusterIP: None`: DNS answers with the endpoints themselves and the proxy ignores it.
    public let isHeadless: Bool
    /// nil: endpoints are not managed by the cluster (the user writes them).
    public let selector: [String: String]?
    public let ports: [ServicePort]
    /// Seconds a client sticks to one endpoint with `sessionAffinity: ClientIP`; nil for None.
    public let sessionAffinityTimeoutSeconds: Int?
    public let externalTrafficPolicy: TrafficPolicy
    public let internalTrafficPolicy: TrafficPolicy
    public let externalName: String?
    public let externalIPs: [String]
    /// Endpoints are published (DNS, slices' ready) whether or not their pods are ready.
    public let publishNotReadyAddresses: Bool

    public init(json: JSONField) throws(JSONShapeError) {
        type = try json.choice("type", default: .clusterIP)
        let single: String = try json.field("clusterIP", default: "")
        var addresses: [String] = try json.field("clusterIPs", default: [])
        if addresses.isEmpty, !single.isEmpty { addresses = [single] }
        isHeadless = addresses.first == "None"
        clusterIPs = isHeadless || type == .externalName ? [] : addresses
        selector = try json.optional("selector")
        ports = try json.field("ports", default: [])
        let affinity: String = try json.field("sessionAffinity", default: "None")
        if affinity == "ClientIP" {
            let config = JSONField(try json.field("sessionAffinityConfig", default: JSON.emptyObject), path: json.childPathForModels("sessionAffinityConfig"))
            let clientIP = JSONField(try config.field("clientIP", default: JSON.emptyObject), path: config.childPathForModels("clientIP"))
            // Kubernetes' default: three hours.
            sessionAffinityTimeoutSeconds = try clientIP.field("timeoutSeconds", default: 10800)
        } else {
            sessionAffinityTimeoutSeconds = nil
        }
        externalTrafficPolicy = try json.choice("externalTrafficPolicy", default: .cluster)
        internalTrafficPolicy = try json.choice("internalTrafficPolicy", default: .cluster)
        externalName = try json.optional("externalName")
        externalIPs = try json.field("externalIPs", default: [])
        publishNotReadyAddresses = try json.field("publishNotReadyAddresses", default: false)
    }
}

public struct ServicePort: Sendable, Equatable, JSONDecodable {
    /// Required when a Service has more than one port; "" otherwise.
    public let name: String
    public let `protocol`: Container.PortProtocol
    public let port: Int32
    /// Defaults to `port`, as the API server does.
    public let targetPort: IntOrString
    public let nodePort: Int32?

    public init(json: JSONField) throws(JSONShapeError) {
        name = try json.field("name", default: "")
        `protocol` = try json.choice("protocol", default: .tcp)
        port = try json.required("port")
        targetPort = try json.field("targetPort", default: .int(port))
        nodePort = try json.optional("nodePort")
    }
}

extension JSONField {
    /// The path of a child field, for nested objects read through a fresh `JSONField`.
    func childPathForModels(_ key: String) -> String { path.isEmpty ? key : path + "." + key }
}
