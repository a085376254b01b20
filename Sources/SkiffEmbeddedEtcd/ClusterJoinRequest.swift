import SkiffAPI

/// The body of `POST /skiff/v1/join`: the joining server's member.
public struct ClusterJoinRequest: Sendable, Equatable {
    public let name: String
    public let peerURL: String
    public let clientURL: String

    public init(name: String, peerURL: String, clientURL: String) {
        self.name = name
        self.peerURL = peerURL
        self.clientURL = clientURL
    }

    public var json: JSON { ["name": .string(name), "peerURL": .string(peerURL), "clientURL": .string(clientURL)] }

    /// Parses and checks a request; a bad one is the joiner's mistake (400), and changes nothing.
    public init(json: JSON) throws(APIError) {
        guard let name = json["name"].string, !name.isEmpty, name.count <= 253,
            name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) })
        else { throw .badRequest("join: name must be 1–253 letters, digits, '-', '_' or '.'") }
        guard let peerURL = json["peerURL"].string, Self.isHTTPSHostPort(peerURL) else {
            throw .badRequest("join: peerURL must be https://HOST:PORT")
        }
        guard let clientURL = json["clientURL"].string, Self.isHTTPSHostPort(clientURL) else {
            throw .badRequest("join: clientURL must be https://HOST:PORT")
        }
        self.init(name: name, peerURL: peerURL, clientURL: clientURL)
    }

    static func isHTTPSHostPort(_ url: String) -> Bool {
        guard url.hasPrefix("https://") else { return false }
        let rest = url.dropFirst("https://".count)
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]), (1...65535).contains(port) else {
            return false
        }
        let host = rest[..<colon]
        return !host.isEmpty && !host.contains("/") && !host.contains(",") && !host.contains("=")
    }
}

/// What a joining server receives: the cluster's secrets (over TLS it has pinned with its token)
/// and the etcd membership to start its member with.
public struct ClusterJoinResponse: Sendable, Equatable {
    public let caCertificatePEM: String
    public let caKeyPEM: String
    public let adminToken: String
    public let nodeToken: String
    public let serverToken: String
    /// etcd's `--initial-cluster`: every member, the joiner included.
    public let initialCluster: String
    /// Every member's client URL, for the joiner's store to move between.
    public let clientURLs: [String]
    /// The key service-account tokens are signed with, so every server accepts every server's
    /// tokens (absent from a server that has not made one yet).
    public let serviceAccountKeyPEM: String?

    public var json: JSON {
        [
            "caCertificate": .string(caCertificatePEM), "caKey": .string(caKeyPEM), "adminToken": .string(adminToken),
            "nodeToken": .string(nodeToken), "serverToken": .string(serverToken), "initialCluster": .string(initialCluster),
            "clientURLs": .array(clientURLs.map { .string($0) }), "serviceAccountKey": serviceAccountKeyPEM.map(JSON.string) ?? .null,
        ]
    }

    public init(json: JSON) throws {
        guard let ca = json["caCertificate"].string, let key = json["caKey"].string, let admin = json["adminToken"].string,
            let node = json["nodeToken"].string, let server = json["serverToken"].string, let cluster = json["initialCluster"].string
        else { throw EmbeddedEtcdError("the join answer lacks the cluster's CA, tokens or membership") }
        self.init(
            caCertificatePEM: ca, caKeyPEM: key, adminToken: admin, nodeToken: node, serverToken: server, initialCluster: cluster,
            clientURLs: (json["clientURLs"].array ?? []).compactMap(\.string), serviceAccountKeyPEM: json["serviceAccountKey"].string)
    }

    public init(
        caCertificatePEM: String, caKeyPEM: String, adminToken: String, nodeToken: String, serverToken: String, initialCluster: String,
        clientURLs: [String], serviceAccountKeyPEM: String? = nil
    ) {
        self.serviceAccountKeyPEM = serviceAccountKeyPEM
        self.caCertificatePEM = caCertificatePEM
        self.caKeyPEM = caKeyPEM
        self.adminToken = adminToken
        self.nodeToken = nodeToken
        self.serverToken = serverToken
        self.initialCluster = initialCluster
        self.clientURLs = clientURLs
    }
}
