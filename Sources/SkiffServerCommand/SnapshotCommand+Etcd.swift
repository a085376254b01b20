import ArgumentParser
import Foundation
import SkiffAPI
import SkiffControlPlane
import SkiffStore

/// Snapshots of an embedded etcd member (`--cluster-init`, `--join`): etcd's own snapshot format
/// (`NAME.etcd`, a bolt database with its checksum), taken through the member's client port with
/// the server's client certificate, and restored with `etcdctl snapshot restore` into a
/// one-member cluster on this server, as k3s's cluster reset does.
enum EtcdSnapshots {
    static let suffix = ".etcd"

    static func save(dataDirectory: String, endpoint: String, into directory: String, name: String?) async throws -> (path: String, revision: Int64) {
        let pki = dataDirectory + "/pki"
        let tls = EtcdClientTLS(
            caCertificatePEM: try String(contentsOfFile: pki + "/ca.crt", encoding: .utf8),
            certificatePEM: try String(contentsOfFile: pki + "/etcd/client.crt", encoding: .utf8),
            keyPEM: try String(contentsOfFile: pki + "/etcd/client.key", encoding: .utf8))
        let path = try SnapshotFiles.newPath(in: directory, name: name, suffix: suffix)
        // Written under a temporary name and renamed: a listed snapshot is always whole.
        let partial = path + ".partial"
        guard FileManager.default.createFile(atPath: partial, contents: nil, attributes: [.posixPermissions: 0o600]),
            let file = FileHandle(forWritingAtPath: partial)
        else { throw ValidationError("cannot create \(partial)") }
        do {
            try await EtcdCluster(endpoints: [endpoint], tls: tls).snapshot { bytes in try file.write(contentsOf: bytes) }
            try file.synchronize()
            try file.close()
            // etcd's own check of the file (its checksum) before it is listed.
            let revision = try status(of: partial).revision
            try FileManager.default.moveItem(atPath: partial, toPath: path)
            return (path, revision)
        } catch {
            try? file.close()
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
    }

    /// The snapshot's path if `snapshot` names an etcd one (by name in `directory`, or a path).
    static func resolve(_ snapshot: String, in directory: String) -> String? {
        let path = snapshot.contains("/") ? snapshot : directory + "/" + (snapshot.hasSuffix(suffix) ? snapshot : snapshot + suffix)
        return path.hasSuffix(suffix) && FileManager.default.fileExists(atPath: path) ? path : nil
    }

    struct Status {
        let revision: Int64
        let keys: Int64
    }

    /// `etcdctl snapshot status`: checks the file (its checksum) and reads its revision.
    static func status(of path: String) throws -> Status {
        let output = try etcdctl(["snapshot", "status", path, "--write-out", "json"])
        guard let json = try? JSON(parsing: Array(output.utf8)) else { throw ValidationError("etcdctl snapshot status: \(output)") }
        return Status(revision: json["revision"].int ?? 0, keys: json["totalKey"].int ?? 0)
    }

    /// Restores into `DATA-DIR/etcd` as a one-member cluster at `peerURL` (the member keeps its
    /// name, the server's identity); the member data it replaces is moved aside, and put back if
    /// the restore fails. Returns where the replaced data went.
    static func restore(_ path: String, dataDirectory: String, peerURL: String, now: Date = Date()) throws -> String? {
        _ = try status(of: path)
        let name = try ControlPlane.identity(dataDirectory: dataDirectory)
        let target = dataDirectory + "/etcd"
        let restoring = target + ".restoring"
        try? FileManager.default.removeItem(atPath: restoring)
        _ = try etcdctl([
            "snapshot", "restore", path, "--data-dir", restoring, "--name", name, "--initial-cluster", "\(name)=\(peerURL)",
            "--initial-advertise-peer-urls", peerURL,
        ])
        var keptAs: String?
        if FileManager.default.fileExists(atPath: target) {
            keptAs = target + ".pre-restore-\(Int(now.timeIntervalSince1970))"
            try FileManager.default.moveItem(atPath: target, toPath: keptAs!)
        }
        do {
            try FileManager.default.moveItem(atPath: restoring, toPath: target)
        } catch {
            if let keptAs { try? FileManager.default.moveItem(atPath: keptAs, toPath: target) }
            throw error
        }
        return keptAs
    }

    static func etcdctl(_ arguments: [String]) throws -> String {
        guard let binary = ["/usr/bin/etcdctl", "/usr/local/bin/etcdctl"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw ValidationError("etcdctl is not installed (apt-get install etcd-client): it checks and restores etcd snapshots")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.environment = ["ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw ValidationError("etcdctl \(arguments.prefix(2).joined(separator: " ")) failed: \(output.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return output
    }
}
