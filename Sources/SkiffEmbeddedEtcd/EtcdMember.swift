import SkiffAPIServer

/// One server's etcd member: its name, addresses and data, and the etcd command line they make.
/// Clients and peers both speak TLS with certificates from the cluster CA, and etcd asks each for
/// one (`--client-cert-auth`, `--peer-client-cert-auth`).
public struct EtcdMember: Sendable {
    /// Unique in the cluster: the server's host name and its server ID.
    public let name: String
    /// The address other members and servers reach this one at.
    public let advertiseAddress: String
    public var clientPort = 2379
    public var peerPort = 2380
    /// The member's own data (`DATA-DIR/etcd`); its `member` subdirectory exists once it has run.
    public let dataDirectory: String

    public init(name: String, advertiseAddress: String, dataDirectory: String) {
        self.name = name
        self.advertiseAddress = advertiseAddress
        self.dataDirectory = dataDirectory
    }

    public var peerURL: String { "https://\(advertiseAddress):\(peerPort)" }
    public var clientURL: String { "https://\(advertiseAddress):\(clientPort)" }
    /// What this host's server talks to first.
    public var localClientURL: String { "https://127.0.0.1:\(clientPort)" }

    /// How the member starts: the first of a new cluster, joining an existing one (with the
    /// membership the cluster returned), or again on data it already has (etcd then ignores the
    /// initial-cluster flags).
    public enum Start: Sendable, Equatable {
        case newCluster
        case join(initialCluster: String)
        case restart
    }

    public func arguments(start: Start, certificates: EtcdCertificates) -> [String] {
        let initialCluster: String
        let state: String
        switch start {
        case .newCluster, .restart:
            initialCluster = "\(name)=\(peerURL)"
            state = "new"
        case .join(let cluster):
            initialCluster = cluster
            state = "existing"
        }
        var clientListeners = [localClientURL]
        if advertiseAddress != "127.0.0.1" { clientListeners.append(clientURL) }
        return [
            "--name", name, "--data-dir", dataDirectory,
            "--listen-client-urls", clientListeners.joined(separator: ","), "--advertise-client-urls", clientURL,
            "--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
            "--initial-cluster", initialCluster, "--initial-cluster-state", state,
            "--cert-file", certificates.memberCertificateFile, "--key-file", certificates.memberKeyFile,
            "--client-cert-auth", "--trusted-ca-file", certificates.caFile,
            "--peer-cert-file", certificates.memberCertificateFile, "--peer-key-file", certificates.memberKeyFile,
            "--peer-client-cert-auth", "--peer-trusted-ca-file", certificates.caFile,
            // The API server compacts (its Compactor); etcd's own defaults otherwise.
            "--auto-compaction-retention", "0",
        ]
    }
}
