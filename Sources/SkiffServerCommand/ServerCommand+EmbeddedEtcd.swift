import ArgumentParser
import Foundation
import Logging
import SkiffAPIServer
import SkiffControlPlane
import SkiffEmbeddedEtcd
import SkiffStore

/// `--cluster-init`, `--join` and `--etcd-only`: a server that runs its own member of an etcd
/// cluster (docs/server.md, "HA: several servers").
extension ServerCommand {
    func validateEmbeddedEtcd() throws {
        guard clusterInit || join != nil else {
            guard !etcdOnly else { throw ValidationError("--etcd-only needs --join") }
            guard tokenFile == nil else { throw ValidationError("--token-file goes with --join") }
            return
        }
        guard !(clusterInit && join != nil) else { throw ValidationError("--cluster-init starts a cluster and --join joins one: give one") }
        guard datastoreEndpoint == nil else {
            throw ValidationError("--datastore-endpoint uses an external etcd; --cluster-init and --join run an embedded one: give one")
        }
        guard let address = advertiseAddress, Self.isIPv4(address), address != "0.0.0.0" else {
            throw ValidationError("--cluster-init and --join need --advertise-address: this host's IPv4 address, which the other members reach")
        }
        for (flag, value) in [("--etcd-client-port", etcdClientPort), ("--etcd-peer-port", etcdPeerPort)] where !(1...65535).contains(value) {
            throw ValidationError("\(flag) must be between 1 and 65535")
        }
        guard etcdClientPort != etcdPeerPort, etcdClientPort != port, etcdPeerPort != port else {
            throw ValidationError("--port, --etcd-client-port and --etcd-peer-port must differ")
        }
        if let join {
            guard join.hasPrefix("https://"), URL(string: join)?.host != nil else {
                throw ValidationError("--join must be the URL of a server of the cluster, https://HOST:PORT, got \(join)")
            }
            guard let tokenFile else { throw ValidationError("--join needs --token-file: the first server's DATA-DIR/server-token") }
            guard let text = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
                throw ValidationError("--token-file \(tokenFile) cannot be read")
            }
            do { _ = try ServerToken(parsing: text) } catch { throw ValidationError("--token-file \(tokenFile): \(error)") }
        } else if etcdOnly {
            throw ValidationError("--etcd-only needs --join")
        }
    }

    static func isIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in !part.isEmpty && part.count <= 3 && UInt8(part) != nil }
    }

    func embeddedEtcdRole() throws -> EmbeddedEtcd.Role? {
        if clusterInit { return .initialize }
        guard let join, let tokenFile else { return nil }
        return .join(serverURL: join, token: try ServerToken(parsing: String(contentsOfFile: tokenFile, encoding: .utf8)))
    }

    func startEmbeddedEtcd(role: EmbeddedEtcd.Role, logger: Logger) async throws -> EmbeddedEtcd.Started {
        var member = EtcdMember(
            name: try ControlPlane.identity(dataDirectory: dataDir), advertiseAddress: advertiseAddress ?? "127.0.0.1",
            dataDirectory: dataDir + "/etcd")
        member.clientPort = etcdClientPort
        member.peerPort = etcdPeerPort
        return try await EmbeddedEtcd.start(
            role: role, member: member, serverDataDirectory: dataDir, binary: try EtcdMemberProcess.findBinary(), logger: logger)
    }

    /// The API server's bootstrap writes: wait (up to 2 minutes) until the cluster has a leader
    /// and serves a linearizable read, as a member restarting beside stopped peers must.
    func waitForQuorum(_ store: any Store, logger: Logger) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        var waited = false
        while true {
            do {
                _ = try await store.currentRevision()
                if waited { logger.info("the etcd cluster has a quorum") }
                return
            } catch {
                guard ContinuousClock.now < deadline else { throw ValidationError("the etcd cluster has no quorum after 2 minutes: \(error)") }
                if !waited { logger.notice("waiting for the etcd cluster to have a quorum", metadata: ["error": "\(error)"]) }
                waited = true
                try await Task.sleep(for: .seconds(1))
            }
        }
    }
}
