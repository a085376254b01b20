import Glibc
import Logging
import ServiceLifecycle
import SkiffSystemd

/// Tells systemd (`Type=notify`) when `skiff server` starts serving and when it begins to stop.
///
/// "Serving" is the moment the API server writes `admin.kubeconfig`, which it does from its
/// `onServerRunning` hook once the HTTPS listener is bound. A kubeconfig left by the previous
/// run does not count: the file is written by rename, so a fresh one is a different inode.
/// Added last to the ServiceGroup, which stops services in reverse order, so STOPPING=1 goes
/// out before the API server begins to drain.
struct SystemdReadiness: Service {
    let notifier: SystemdNotifier
    let kubeconfig: String
    let logger: Logger
    private let stale: FileStamp?

    /// Call before the listener can start, so the stamp is the previous run's file.
    init(notifier: SystemdNotifier, kubeconfig: String, logger: Logger) {
        self.notifier = notifier
        self.kubeconfig = kubeconfig
        self.logger = logger
        stale = FileStamp(kubeconfig)
    }

    func run() async throws {
        // Returning early would end the group (success cancels it), so this waits for shutdown.
        do {
            if notifier.isEnabled { try await notifyWhenServing() }
            try await gracefulShutdown()
        } catch is CancellationError {
            return
        }
        do { try notifier.stopping(status: "shutting down") } catch {
            logger.warning("sd_notify STOPPING=1 failed", metadata: ["error": "\(error)"])
        }
    }

    private func notifyWhenServing() async throws {
        while !Task.isShuttingDownGracefully {
            if let current = FileStamp(kubeconfig), current != stale {
                do { try notifier.ready(status: "serving the Kubernetes API; kubeconfig \(kubeconfig)") } catch {
                    logger.error("sd_notify READY=1 failed; systemd will time the start out", metadata: ["error": "\(error)"])
                }
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

/// Which file a path names right now: inode and modification time.
struct FileStamp: Equatable {
    let device: UInt64
    let inode: UInt64
    let modified: timespec

    init?(_ path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        modified = st.st_mtim
    }

    static func == (a: FileStamp, b: FileStamp) -> Bool {
        a.device == b.device && a.inode == b.inode && a.modified.tv_sec == b.modified.tv_sec
            && a.modified.tv_nsec == b.modified.tv_nsec
    }
}
