/// Settings of the agent's node API (kubelet's port 10250).
public struct NodeAPIConfiguration: Sendable {
    /// Address to listen on.
    public var host: String
    /// 0 picks a free port; `NodeAPIServer.listeningPort()` reports it.
    public var port: Int
    /// Where `agent.crt` / `agent.key` live (created on first start).
    public var certificateDirectory: String
    /// DNS names for the certificate (the node's hostname).
    public var hostnames: [String]
    /// IP addresses for the certificate (the node's addresses).
    public var addresses: [String]
    /// The only bearer token accepted: the node's own credential
    /// (`NodeCredential.token(joinToken:nodeName:)`), which the API server can derive too.
    public var credential: String

    public init(
        host: String = "0.0.0.0", port: Int = 10250, certificateDirectory: String, hostnames: [String], addresses: [String],
        credential: String
    ) {
        self.host = host
        self.port = port
        self.certificateDirectory = certificateDirectory
        self.hostnames = hostnames
        self.addresses = addresses
        self.credential = credential
    }
}
