import Foundation
import Logging
import SkiffAPIServer
import SkiffStore

/// `skiff server --cluster-init` and `--join`: brings this server's etcd member up (first
/// joining the cluster when its data dir is new) and says how the server's store reaches etcd.
public enum EmbeddedEtcd {
    public enum Role: Sendable {
        /// The first server of a new cluster (or any server restarting on its own member's data).
        case initialize
        /// Join the cluster that the server at `serverURL` belongs to.
        case join(serverURL: String, token: ServerToken)
    }

    /// A running member and how to talk to the cluster.
    public struct Started: Sendable {
        public let member: EtcdMemberProcess
        /// This host's member first, then the others'.
        public let endpoints: [String]
        public let tls: EtcdClientTLS
        public let token: ServerToken
        public let caCertificatePEM: String
    }

    public static func start(
        role: Role, member: EtcdMember, serverDataDirectory: String, binary: String, logger: Logger
    ) async throws -> Started {
        let pki = serverDataDirectory + "/pki"
        let hasData = FileManager.default.fileExists(atPath: member.dataDirectory + "/member")
        var start: EtcdMember.Start = hasData ? .restart : .newCluster
        var knownClientURLs: [String] = []
        // The first server's CA is made below, where a joiner's (written first) is loaded.
        if case .join(let serverURL, let token) = role, !hasData {
            logger.info("joining the cluster", metadata: ["server": "\(serverURL)", "member": "\(member.name)"])
            let answer = try await ClusterJoinClient(serverURL: serverURL, token: token).join(
                ClusterJoinRequest(name: member.name, peerURL: member.peerURL, clientURL: member.clientURL))
            try store(answer, dataDirectory: serverDataDirectory)
            start = .join(initialCluster: answer.initialCluster)
            knownClientURLs = answer.clientURLs
        }
        let ca = try ClusterPKI.loadOrCreate(directory: pki, hostnames: [member.advertiseAddress]).caCertificatePEM
        let token = try ServerToken.loadOrCreate(directory: serverDataDirectory, caCertificatePEM: ca)
        let certificates = try EtcdCertificates.issue(pkiDirectory: pki, hostnames: [member.advertiseAddress])
        let tls = EtcdClientTLS(
            caCertificatePEM: ca, certificatePEM: try String(contentsOfFile: certificates.clientCertificateFile, encoding: .utf8),
            keyPEM: try String(contentsOfFile: certificates.clientKeyFile, encoding: .utf8))
        try FileManager.default.createDirectory(atPath: member.dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let process = EtcdMemberProcess(
            binary: binary, arguments: member.arguments(start: start, certificates: certificates),
            logFile: serverDataDirectory + "/etcd.log", logger: logger)
        try process.start()
        let members = try await waitForMember(process, member: member, tls: tls, logger: logger)
        let others = (members.flatMap(\.clientURLs) + knownClientURLs).filter { $0 != member.clientURL }
        var endpoints = [member.localClientURL]
        for url in others where !endpoints.contains(url) { endpoints.append(url) }
        return Started(member: process, endpoints: endpoints, tls: tls, token: token, caCertificatePEM: ca)
    }

    /// Waits until the member answers over TLS (its membership list needs no quorum), and returns
    /// the membership; fails early when etcd exits.
    static func waitForMember(
        _ process: EtcdMemberProcess, member: EtcdMember, tls: EtcdClientTLS, logger: Logger
    ) async throws -> [EtcdCluster.Member] {
        let local = try EtcdCluster(endpoints: [member.localClientURL], tls: tls)
        let deadline = ContinuousClock.now + .seconds(60)
        var lastError = ""
        while ContinuousClock.now < deadline {
            if let status = try process.exited() {
                throw EmbeddedEtcdError("etcd exited (\(status)) while starting; see \(process.logFile)")
            }
            do {
                return try await local.members()
            } catch {
                lastError = "\(error)"
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw EmbeddedEtcdError("etcd did not answer within 60 s (\(lastError)); see \(process.logFile)")
    }

    /// Writes what the cluster handed over, as the first server keeps it (0600).
    static func store(_ answer: ClusterJoinResponse, dataDirectory: String) throws {
        let pki = dataDirectory + "/pki"
        try FileManager.default.createDirectory(atPath: pki, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try (answer.caCertificatePEM + "\n").write(toFile: pki + "/ca.crt", atomically: true, encoding: .utf8)
        try ClusterPKI.writeSecret(answer.caKeyPEM + "\n", to: pki + "/ca.key")
        try ClusterPKI.writeToken(answer.adminToken, directory: dataDirectory)
        try ClusterPKI.writeSecret(answer.nodeToken + "\n", to: dataDirectory + "/node-token")
        try ClusterPKI.writeSecret(answer.serverToken + "\n", to: dataDirectory + "/server-token")
        if let key = answer.serviceAccountKeyPEM { try ClusterPKI.writeSecret(key + "\n", to: pki + "/" + ServiceAccountIssuer.keyFile) }
    }
}
