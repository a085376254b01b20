/// Names of the per-Service objects in the table. Like kube-proxy's, each is a prefix, a hash of
/// what it stands for (so the name is unique and stays the same across syncs) and a readable
/// tail for people reading `nft list table`. nft identifiers allow letters, digits and `/_.-`.
struct ChainNames: Sendable, Equatable {
    /// "namespace/name/protocol/port-name": the Service port these objects belong to.
    let servicePortKey: String
    private let hash: String
    private let readable: String

    init(namespace: String, name: String, protocol: ProxyProtocol, portName: String) {
        servicePortKey = "\(namespace)/\(name)/\(`protocol`.nftName)/\(portName)"
        hash = ChainNames.hash(servicePortKey)
        readable = ChainNames.readable("\(namespace)/\(name)/\(`protocol`.nftName)/\(portName)")
    }

    /// The entry for ClusterIP traffic: masquerade marking, then the internal policy's chain.
    var service: String { "service-\(hash)-\(readable)" }
    /// numgen over every usable endpoint (the Cluster traffic policy).
    var cluster: String { "cluster-\(hash)-\(readable)" }
    /// numgen over this node's usable endpoints (the Local traffic policies).
    var local: String { "local-\(hash)-\(readable)" }
    /// The entry for NodePort and LoadBalancer traffic.
    var external: String { "external-\(hash)-\(readable)" }

    /// The chain that DNATs to one endpoint.
    func endpoint(_ endpoint: ProxyEndpoint) -> String {
        "endpoint-\(endpointSuffix(endpoint))"
    }

    /// The ClientIP affinity set of one endpoint: sources that went there recently.
    func affinity(_ endpoint: ProxyEndpoint) -> String {
        "affinity-\(endpointSuffix(endpoint))"
    }

    private func endpointSuffix(_ endpoint: ProxyEndpoint) -> String {
        let target = "\(endpoint.address)/\(endpoint.port)"
        return "\(ChainNames.hash(servicePortKey + "__" + target))-\(readable)__\(target)"
    }

    /// 64 bits of FNV-1a in base32 (13 characters): collisions among a few hundred thousand
    /// names are about one in 10⁹, and the renderer still checks for them.
    static func hash(_ text: String) -> String {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value &*= 0x0000_0100_0000_01b3
        }
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var result = ""
        for _ in 0..<13 {
            result.append(alphabet[Int(value & 0x1f)])
            value >>= 5
        }
        return result
    }

    /// Characters nft accepts in identifiers; anything else (not possible in valid Kubernetes
    /// names) becomes `_`, and long tails are cut: the hash keeps names unique.
    static func readable(_ text: String) -> String {
        let cleaned = String(
            text.unicodeScalars.map { scalar -> Character in
                switch scalar {
                case "a"..."z", "A"..."Z", "0"..."9", "/", "_", ".", "-": Character(scalar)
                default: "_"
                }
            })
        return String(cleaned.prefix(160))
    }
}
