/// One ingress or egress rule: traffic is allowed when it comes from (goes to) any of `peers`
/// on any of `ports`. An empty list matches everything on that side, as in Kubernetes.
public struct NetworkPolicyRule: Sendable, Equatable {
    public let peers: [NetworkPolicyPeer]
    public let ports: [NetworkPolicyPort]

    public init(peers: [NetworkPolicyPeer] = [], ports: [NetworkPolicyPort] = []) {
        self.peers = peers
        self.ports = ports
    }

    /// `peersKey` is "from" for ingress rules and "to" for egress rules.
    public init(json: JSONField, peersKey: String) throws(JSONShapeError) {
        let peerItems: [JSON] = try json.field(peersKey, default: [])
        var peers: [NetworkPolicyPeer] = []
        for (index, item) in peerItems.enumerated() {
            peers.append(try NetworkPolicyPeer(json: JSONField(item, path: "\(json.path).\(peersKey)[\(index)]")))
        }
        self.peers = peers
        ports = try json.field("ports", default: [])
    }
}

/// Whom a rule allows: pods chosen by labels (in the policy's namespace, or in the namespaces a
/// `namespaceSelector` picks), or a range of addresses.
public enum NetworkPolicyPeer: Sendable, Equatable {
    /// `podSelector` nil with a namespace selector means every pod of those namespaces;
    /// `namespaceSelector` nil means the policy's own namespace.
    case pods(podSelector: LabelSelector?, namespaceSelector: LabelSelector?)
    case ipBlock(cidr: CIDR, except: [CIDR])

    public init(json: JSONField) throws(JSONShapeError) {
        if try json.has("ipBlock") {
            let block = JSONField(try json.required("ipBlock", as: JSON.self), path: "\(json.path).ipBlock")
            let cidrText: String = try block.required("cidr")
            guard let cidr = CIDR(cidrText) else { throw JSONShapeError(path: "\(block.path).cidr", problem: "invalid CIDR \"\(cidrText)\"") }
            let exceptTexts: [String] = try block.field("except", default: [])
            var except: [CIDR] = []
            for text in exceptTexts {
                guard let range = CIDR(text) else { throw JSONShapeError(path: "\(block.path).except", problem: "invalid CIDR \"\(text)\"") }
                except.append(range)
            }
            self = .ipBlock(cidr: cidr, except: except)
            return
        }
        self = .pods(podSelector: try Self.selector(json, "podSelector"), namespaceSelector: try Self.selector(json, "namespaceSelector"))
    }

    private static func selector(_ json: JSONField, _ key: String) throws(JSONShapeError) -> LabelSelector? {
        guard let object = try json.optional(key, as: JSON.self), !object.isNull else { return nil }
        do {
            return try LabelSelector(object: object)
        } catch {
            throw JSONShapeError(path: "\(json.path).\(key)", problem: error.message)
        }
    }
}

/// A port (or range `port`…`endPort`) and protocol a rule allows. `port` nil allows every port
/// of the protocol; a named port is resolved against the destination pod's container ports.
public struct NetworkPolicyPort: Sendable, Equatable, JSONDecodable {
    public let `protocol`: Container.PortProtocol
    public let port: IntOrString?
    public let endPort: Int32?

    public init(protocol: Container.PortProtocol = .tcp, port: IntOrString? = nil, endPort: Int32? = nil) {
        self.protocol = `protocol`
        self.port = port
        self.endPort = endPort
    }

    public init(json: JSONField) throws(JSONShapeError) {
        // Kubernetes defaults the protocol to TCP.
        `protocol` = try json.choice("protocol", default: .tcp)
        port = try json.optional("port")
        endPort = try json.optional("endPort")
    }
}
