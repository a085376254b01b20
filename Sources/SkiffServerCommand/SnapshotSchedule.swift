import Foundation
import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffStore

/// `--snapshot-schedule`: saves a snapshot of the SQLite store at each time of a cron schedule
/// (UTC), named `skiff-snapshot-TIME`, and keeps the newest `--snapshot-retain` of them (k3s's
/// etcd-snapshot-schedule-cron and -retention). Snapshots saved by hand under other names are
/// never pruned.
struct SnapshotSchedule: Service {
    let schedule: CronSchedule
    let retain: Int
    let database: String
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
                saveAndPrune()
            }
        }
    }

    func saveAndPrune() {
        do {
            let taken = try SnapshotFiles.save(database: database, into: directory, name: nil)
            let pruned = try SnapshotFiles.prune(directory, prefix: "skiff-snapshot-", retain: retain)
            logger.info(
                "saved a scheduled snapshot",
                metadata: ["path": "\(taken.path)", "revision": "\(taken.summary.revision)", "pruned": "\(pruned.joined(separator: ","))"])
        } catch {
            logger.error("scheduled snapshot failed", metadata: ["error": "\(error)"])
        }
    }
}
