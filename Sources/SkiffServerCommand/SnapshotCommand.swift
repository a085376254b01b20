import ArgumentParser
import Foundation
import SkiffStore

/// `skiff server snapshot save|ls|restore`: backups of the embedded SQLite store, or of the
/// embedded etcd member's keyspace (`--cluster-init`, `--join`; SnapshotCommand+Etcd.swift).
public struct SnapshotCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "snapshot", abstract: "Save, list and restore snapshots of the server's store (SQLite, or its embedded etcd member).",
        subcommands: [Save.self, List.self, Restore.self])

    public init() {}

    /// The options every snapshot command takes; `--data-dir` is the server's own (given before
    /// or after `snapshot`).
    struct Location: ParsableArguments {
        @OptionGroup var dataDirectory: DataDirectoryOption

        @Option(help: "Directory of the snapshots (default: DATA-DIR/snapshots).")
        var snapshotDir: String?

        var dataDir: String { dataDirectory.dataDir }
        var directory: String { snapshotDir ?? dataDir + "/snapshots" }
        var database: String { dataDir + "/state.db" }
        /// The embedded etcd member's data, when this server runs one.
        var etcdMember: String { dataDir + "/etcd/member" }
    }

    struct Save: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "save", abstract: "Copy the store, consistently, while the server runs (SQLite's online backup).")

        @OptionGroup var location: Location

        @Option(help: "The snapshot's name (default: skiff-snapshot-TIME).")
        var name: String?

        @Option(help: "With an embedded etcd member: its client URL (the server's --etcd-client-port).")
        var etcdEndpoint = "https://127.0.0.1:2379"

        func validate() throws {
            if let name, name.isEmpty || name.contains("/") { throw ValidationError("--name must be a file name, got \(name.debugDescription)") }
        }

        func run() async throws {
            if FileManager.default.fileExists(atPath: location.etcdMember) {
                let taken = try await EtcdSnapshots.save(dataDirectory: location.dataDir, endpoint: etcdEndpoint, into: location.directory, name: name)
                print("saved \(taken.path) (etcd, revision \(taken.revision))")
                return
            }
            guard FileManager.default.fileExists(atPath: location.database) else {
                throw ValidationError(
                    "no SQLite store at \(location.database) and no embedded etcd member at \(location.etcdMember) (a server on --datastore-endpoint keeps its data in an external etcd: use etcdctl snapshot save)"
                )
            }
            let taken = try SnapshotFiles.save(database: location.database, into: location.directory, name: name)
            print("saved \(taken.path) (revision \(taken.summary.revision), \(taken.summary.objects) objects)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List the snapshots, newest first.")

        @OptionGroup var location: Location

        func run() async throws {
            print("NAME\tREVISION\tOBJECTS\tSIZE\tCREATED")
            for snapshot in try SnapshotFiles.list(location.directory) {
                let summary: String
                if snapshot.path.hasSuffix(EtcdSnapshots.suffix) {
                    summary = (try? EtcdSnapshots.status(of: snapshot.path)).map { "\($0.revision)\t\($0.keys) keys (etcd)" } ?? "damaged\t-"
                } else {
                    summary = (try? SQLiteSnapshot.summary(of: snapshot.path)).map { "\($0.revision)\t\($0.objects)" } ?? "damaged\t-"
                }
                print("\(snapshot.name)\t\(summary)\t\(snapshot.size)\t\(snapshot.created.formatted(.iso8601))")
            }
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "restore",
            abstract: "Replace the store with a snapshot (the server must be stopped; the replaced store is kept beside it).")

        @OptionGroup var location: Location

        @Argument(help: "A snapshot's name (in the snapshot dir) or path.")
        var snapshot: String

        // Not --advertise-address and --etcd-peer-port: those are `skiff server`'s own options,
        // which would take them first.
        @Option(help: "An etcd snapshot: this server's member's peer URL, https://ADVERTISE-ADDRESS:ETCD-PEER-PORT (it restarts alone there).")
        var peerURL: String?

        func run() async throws {
            if let etcd = EtcdSnapshots.resolve(snapshot, in: location.directory) {
                guard let peerURL, peerURL.hasPrefix("https://"), let url = URL(string: peerURL), url.host != nil, url.port != nil else {
                    throw ValidationError(
                        "restoring an etcd snapshot needs --peer-url https://ADVERTISE-ADDRESS:ETCD-PEER-PORT, where this server's member restarts")
                }
                let lock = try DataDirectoryLock(directory: location.dataDir)
                defer { lock.release() }
                let keptAs = try EtcdSnapshots.restore(etcd, dataDirectory: location.dataDir, peerURL: peerURL)
                print("restored \(etcd) into \(location.dataDir)/etcd as a one-member cluster; start this server with --cluster-init")
                if let keptAs { print("the replaced member data is kept as \(keptAs)") }
                print("every other server of the cluster: stop it, move its DATA-DIR/etcd away, and start it with --join again")
                return
            }
            let path = snapshot.contains("/") ? snapshot : location.directory + "/" + snapshot + (snapshot.hasSuffix(".db") ? "" : ".db")
            let lock = try DataDirectoryLock(directory: location.dataDir)
            defer { lock.release() }
            let summary = try SQLiteSnapshot.summary(of: path)
            let keptAs = try SnapshotFiles.restore(path, to: location.database)
            print("restored \(path) into \(location.database) (revision \(summary.revision), \(summary.objects) objects)")
            if let keptAs { print("the replaced store is kept as \(keptAs)") }
        }
    }
}

/// Snapshot files in a directory: named, written once, listed by time, pruned to a count.
enum SnapshotFiles {
    struct File {
        let name: String
        let path: String
        let size: Int64
        let created: Date
    }

    /// Saves a snapshot of `database` as DIRECTORY/NAME.db.
    static func save(
        database: String, into directory: String, name: String?, now: Date = Date()
    ) throws -> (
        path: String, summary: SQLiteSnapshot.Summary
    ) {
        let path = try newPath(in: directory, name: name, suffix: ".db", now: now)
        // Written under a temporary name and renamed: a listed snapshot is always whole.
        let partial = path + ".partial"
        try? FileManager.default.removeItem(atPath: partial)
        do {
            _ = try SQLiteSnapshot.save(database: database, to: partial)
            try FileManager.default.moveItem(atPath: partial, toPath: path)
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
        return (path, try SQLiteSnapshot.summary(of: path))
    }

    /// DIRECTORY/NAME+SUFFIX (NAME defaults to skiff-snapshot-TIME), which must not exist yet.
    static func newPath(in directory: String, name: String?, suffix: String, now: Date = Date()) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let stamp = now.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false).dateTimeSeparator(.standard))
            .replacingOccurrences(of: ":", with: "")
            .replacingOccurrences(of: "-", with: "")
        let base = name ?? "skiff-snapshot-\(stamp)"
        let path = directory + "/" + (base.hasSuffix(suffix) ? base : base + suffix)
        guard !FileManager.default.fileExists(atPath: path) else { throw ValidationError("snapshot \(path) already exists") }
        return path
    }

    /// The snapshots in `directory`, newest first.
    static func list(_ directory: String) throws -> [File] {
        guard FileManager.default.fileExists(atPath: directory) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".db") || $0.hasSuffix(EtcdSnapshots.suffix) }
            .map { name in
                let path = directory + "/" + name
                let attributes = try FileManager.default.attributesOfItem(atPath: path)
                return File(
                    name: name.hasSuffix(".db") ? String(name.dropLast(3)) : name, path: path, size: (attributes[.size] as? NSNumber)?.int64Value ?? 0,
                    created: attributes[.modificationDate] as? Date ?? .distantPast)
            }.sorted { ($0.created, $0.name) > ($1.created, $1.name) }
    }

    /// Deletes all but the newest `retain` snapshots whose names start with `prefix`.
    static func prune(_ directory: String, prefix: String, retain: Int) throws -> [String] {
        let doomed = try list(directory).filter { $0.name.hasPrefix(prefix) }.dropFirst(max(0, retain))
        for file in doomed { try FileManager.default.removeItem(atPath: file.path) }
        return doomed.map(\.name)
    }

    /// Moves the store at `database` (with its -wal and -shm) aside and copies the snapshot in its
    /// place; returns where the replaced store went (nil when there was none).
    static func restore(_ snapshot: String, to database: String, now: Date = Date()) throws -> String? {
        let suffix = ".pre-restore-\(Int(now.timeIntervalSince1970))"
        var keptAs: String?
        for extra in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: database + extra) {
            try FileManager.default.moveItem(atPath: database + extra, toPath: database + suffix + extra)
            if extra.isEmpty { keptAs = database + suffix }
        }
        do {
            _ = try SQLiteSnapshot.save(database: snapshot, to: database)
        } catch {
            // Nothing lost: the old store goes back.
            try? FileManager.default.removeItem(atPath: database)
            for extra in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: database + suffix + extra) {
                try? FileManager.default.moveItem(atPath: database + suffix + extra, toPath: database + extra)
            }
            throw error
        }
        return keptAs
    }
}

/// `--data-dir`, shared by `skiff server` and its snapshot commands.
public struct DataDirectoryOption: ParsableArguments {
    @Option(help: "Directory for the store, certificates, admin.kubeconfig and node-token.")
    var dataDir = "/var/lib/skiff"

    public init() {}
}
