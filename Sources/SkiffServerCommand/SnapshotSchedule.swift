import Foundation
import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffStore

/// `--snapshot-schedule`: saves a snapshot of the store at each time of a cron schedule (UTC),
/// named `skiff-snapshot-TIME`, and keeps the newest `--snapshot-retain` of them (k3s's
/// etcd-snapshot-schedule-cron and -retention). The SQLite file is copied with SQLite's online
/// backup; an embedded etcd member (`--cluster-init`, `--join`) is snapshotted through its client
/// port, as `skiff server snapshot save` does, on every server of the cluster (each keeps its
/// own). Snapshots saved by hand under other names are never pruned.
struct SnapshotSchedule: Service {
    enum Source {
        case sqlite(database: String)
        /// The server's data directory (its client certificate) and its member's client URL.
        case embeddedEtcd(dataDirectory: String, endpoint: String)
    }

    let schedule: CronSchedule
    let retain: Int
    let source: Source
    let directory: String
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let now = Int64(Date().timeIntervalSince1970)
                guard let next = schedule.next(after: now) else { return }
                do {
                    try await Task.sleep(for: .seconds(next - now))
                } catch {
                    return
                }
                await saveAndPrune()
            }
        }
    }

    func saveAndPrune() async {
        do {
            let path: String
            let revision: Int64
            switch source {
            case .sqlite(let database):
                let taken = try SnapshotFiles.save(database: database, into: directory, name: nil)
                (path, revision) = (taken.path, taken.summary.revision)
            case .embeddedEtcd(let dataDirectory, let endpoint):
                (path, revision) = try await EtcdSnapshots.save(dataDirectory: dataDirectory, endpoint: endpoint, into: directory, name: nil)
            }
            let pruned = try SnapshotFiles.prune(directory, prefix: "skiff-snapshot-", retain: retain)
            logger.info(
                "saved a scheduled snapshot", metadata: ["path": "\(path)", "revision": "\(revision)", "pruned": "\(pruned.joined(separator: ","))"])
        } catch {
            logger.error("scheduled snapshot failed", metadata: ["error": "\(error)"])
        }
    }
}
