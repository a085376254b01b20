import FoundationEssentials
import Logging
import ServiceLifecycle
import SkiffAPI
import Synchronization

/// The service-account tokens the agent has written into projected volumes, and when each is
/// due for a fresh one: at 80 % of its life, as the kubelet's token manager refreshes them.
final class ProjectedTokens: Sendable {
    /// One token file: what to ask the API for and where to write it.
    struct Entry: Sendable, Equatable {
        let namespace: String
        let serviceAccount: String
        let podName: String
        let podUID: String
        let source: Volume.ServiceAccountToken
        let directory: String
        let mode: Int
        var refreshAt: Date
    }

    private let entries = Mutex<[String: Entry]>([:])

    static func key(podUID: String, directory: String, path: String) -> String { "\(podUID)\u{0}\(directory)\u{0}\(path)" }

    func record(_ entry: Entry) {
        entries.withLock { $0[Self.key(podUID: entry.podUID, directory: entry.directory, path: entry.source.path)] = entry }
    }

    func forget(podUID: String) {
        entries.withLock { entries in entries = entries.filter { $0.value.podUID != podUID } }
    }

    /// Whether the token file of this pod's volume is written and not yet due: a container
    /// (re)started meanwhile mounts it as it is, as the kubelet's token manager reuses its tokens.
    func isFresh(podUID: String, directory: String, path: String, at now: Date) -> Bool {
        entries.withLock { $0[Self.key(podUID: podUID, directory: directory, path: path)].map { $0.refreshAt > now } ?? false }
    }

    /// Entries whose refresh time has come.
    func due(at now: Date) -> [Entry] { entries.withLock { Array($0.values.filter { $0.refreshAt <= now }) } }

    /// When the token expiring at `expires`, issued at `issued`, should be replaced.
    static func refreshTime(issued: Date, expires: Date) -> Date {
        issued.addingTimeInterval(max(0, expires.timeIntervalSince(issued)) * 0.8)
    }
}

/// Rewrites projected service-account tokens before they expire (the kubelet's token manager).
/// A failed request is tried again at the next pass; the old token stays until then.
struct ProjectedTokenRefresher: Service {
    let volumes: VolumeManager
    let logger: Logger
    var interval: Duration = .seconds(5)

    func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await refreshDue()
                try? await Task.sleep(for: interval)
            }
        }
    }

    func refreshDue(now: Date = Date()) async {
        for entry in volumes.tokens.due(at: now) {
            do {
                try await volumes.writeToken(entry)
            } catch {
                logger.warning(
                    "could not refresh a service-account token",
                    metadata: ["pod": "\(entry.namespace)/\(entry.podName)", "serviceAccount": "\(entry.serviceAccount)", "error": "\(error)"])
            }
        }
    }
}
