/// Where one node's API is and how to trust and authenticate to it.
public struct NodeEndpoint: Sendable, Hashable {
    public var nodeName: String
    /// The node's InternalIP (or a hostname).
    public var host: String
    /// `status.daemonEndpoints.kubeletEndpoint.Port`.
    public var port: Int
    /// Hex SHA-256 of the agent's certificate (Node annotation `skiff.dev/agent-certificate-sha256`).
    public var certificateSHA256: String
    /// The node's credential, which its agent accepts.
    public var credential: String

    public init(nodeName: String, host: String, port: Int, certificateSHA256: String, credential: String) {
        self.nodeName = nodeName
        self.host = host
        self.port = port
        self.certificateSHA256 = certificateSHA256.lowercased()
        self.credential = credential
    }

    /// `host:port` with IPv6 literals bracketed, for URLs and messages.
    public var authority: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
