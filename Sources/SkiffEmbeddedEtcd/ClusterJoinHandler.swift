import Foundation
import Logging
import SkiffAPI
import SkiffAPIServer
import SkiffStore

/// The member side of `POST /skiff/v1/join`, in every server of an embedded etcd cluster: adds
/// the joiner's member to etcd and hands it the cluster's CA and tokens from this data directory.
public struct ClusterJoinHandler: Sendable {
    let dataDirectory: String
    let cluster: EtcdCluster
    let logger: Logger

    public init(dataDirectory: String, cluster: EtcdCluster, logger: Logger) {
        self.dataDirectory = dataDirectory
        self.cluster = cluster
        self.logger = logger
    }

    public func endpoint(caCertificatePEM: String, token: ServerToken) -> ClusterJoinEndpoint {
        ClusterJoinEndpoint(caCertificatePEM: caCertificatePEM, secret: token.secret) { body in
            try await self.join(try ClusterJoinRequest(json: body)).json
        }
    }

    public func join(_ request: ClusterJoinRequest) async throws -> ClusterJoinResponse {
        var members = try await cluster.members()
        if let same = members.first(where: { $0.name == request.name && !$0.name.isEmpty && !$0.peerURLs.contains(request.peerURL) }) {
            throw APIError(
                code: 409, reason: "AlreadyExists",
                message:
                    "an etcd member named \(request.name) already runs at \(same.peerURLs.joined(separator: ",")); give the new server another data dir or host"
            )
        }
        // A server joining again with an empty data dir (its first attempt died before its
        // member started, or it was wiped): its old entry goes, so etcd takes it as new.
        if let stale = members.first(where: { $0.peerURLs.contains(request.peerURL) }) {
            logger.notice("replacing the etcd member at the joiner's peer URL", metadata: ["id": "\(stale.id)", "peer": "\(request.peerURL)"])
            try await cluster.removeMember(id: stale.id)
            members.removeAll { $0.id == stale.id }
        }
        if let unstarted = members.first(where: { $0.name.isEmpty }) {
            throw APIError(
                code: 409, reason: "Conflict",
                message: "the etcd member at \(unstarted.peerURLs.joined(separator: ",")) was added but has not started; start that server first")
        }
        let added = try await cluster.addMember(peerURL: request.peerURL)
        let initial = added.members.map { member in
            let name = member.id == added.added.id ? request.name : member.name
            return member.peerURLs.map { "\(name)=\($0)" }.joined(separator: ",")
        }
        logger.info("a server joined the etcd cluster", metadata: ["name": "\(request.name)", "peer": "\(request.peerURL)"])
        let pki = dataDirectory + "/pki"
        return ClusterJoinResponse(
            caCertificatePEM: try read(pki + "/ca.crt"), caKeyPEM: try read(pki + "/ca.key"), adminToken: try read(pki + "/admin.token"),
            nodeToken: try read(dataDirectory + "/node-token"), serverToken: try read(dataDirectory + "/server-token"),
            initialCluster: initial.joined(separator: ","),
            clientURLs: members.flatMap(\.clientURLs) + [request.clientURL],
            serviceAccountKeyPEM: try? read(pki + "/" + ServiceAccountIssuer.keyFile))
    }

    func read(_ path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
