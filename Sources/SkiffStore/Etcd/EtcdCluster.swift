import SkiffAPI

/// Membership of an etcd cluster, through the same JSON gateway as the store
/// (`/v3/cluster/member/*`): what a server needs to add a joining server's member.
public struct EtcdCluster: Sendable {
    public struct Member: Sendable, Equatable {
        /// etcd's member ID (a uint64; the gateway writes it as a string).
        public let id: String
        /// Empty for a member that was added but has not started yet.
        public let name: String
        public let peerURLs: [String]
        public let clientURLs: [String]
    }

    let gateway: EtcdGateway

    public init(endpoints: [String], tls: EtcdClientTLS? = nil) throws(StoreError) {
        gateway = try EtcdGateway(endpoints: endpoints, tls: tls)
    }

    public func members() async throws(StoreError) -> [Member] {
        Self.members(try await gateway.call("/v3/cluster/member/list", [:]))
    }

    /// Adds a member that will start at `peerURL`, and returns the membership including it.
    public func addMember(peerURL: String) async throws(StoreError) -> (added: Member, members: [Member]) {
        let response = try await gateway.call("/v3/cluster/member/add", ["peerURLs": [.string(peerURL)]])
        let added = Self.member(response["member"])
        return (added, Self.members(response))
    }

    public func removeMember(id: String) async throws(StoreError) {
        _ = try await gateway.call("/v3/cluster/member/remove", ["ID": .string(id)])
    }

    /// Streams a snapshot of the member's whole keyspace (etcd's `Maintenance.Snapshot`: a bolt
    /// database file followed by its SHA-256, which `etcdctl snapshot restore` checks) to
    /// `write`, block by block. Throws if the stream ends before the checksum block: the data's
    /// last block has no `remaining_bytes` left (the gateway omits a zero), and the checksum
    /// comes after it.
    public func snapshot(_ write: @escaping @Sendable ([UInt8]) throws -> Void) async throws {
        let progress = SnapshotProgress()
        try await gateway.stream("/v3/maintenance/snapshot", [:]) { line in
            if let message = line["error"]["message"].string { throw StoreError.backend("etcd snapshot: \(message)") }
            let result = line["result"]
            guard let blob = result["blob"].string, let bytes = Base64.decode(blob) else { return true }
            try write(bytes)
            if progress.dataEnded { progress.checksummed = true }
            if EtcdStore.int(result["remaining_bytes"]) == 0 { progress.dataEnded = true }
            return true
        }
        guard progress.checksummed else { throw StoreError.backend("etcd snapshot: the stream ended before its checksum") }
    }

    /// What the snapshot stream has seen (written by its one reader, read after it ends).
    private final class SnapshotProgress: @unchecked Sendable {
        var dataEnded = false
        var checksummed = false
    }

    static func members(_ response: JSON) -> [Member] { (response["members"].array ?? []).map(member) }

    static func member(_ json: JSON) -> Member {
        Member(
            id: json["ID"].string ?? json["ID"].int.map { String($0) } ?? "", name: json["name"].string ?? "",
            peerURLs: (json["peerURLs"].array ?? []).compactMap(\.string), clientURLs: (json["clientURLs"].array ?? []).compactMap(\.string))
    }
}
