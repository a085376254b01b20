import Foundation
import Logging
import ServiceLifecycle
import SkiffSystem

/// The etcd-server child process of a server's member. `start()` spawns it (the server calls it
/// before it opens its store); as a `Service` it then watches the child: a member that dies takes
/// its server down with it (whatever supervises the server, systemd or scripts/cluster, starts
/// both again, as k3s's embedded etcd lives and dies with k3s), and a graceful shutdown stops
/// etcd with SIGTERM after the API server has stopped using it.
///
/// The child runs under `setpriv --pdeathsig KILL`, so a server killed with -9 does not leave an
/// orphaned member holding the data directory and ports.
public final class EtcdMemberProcess: Service, @unchecked Sendable {
    // @unchecked: `pid` is written once by start() before run() reads it.
    let binary: String
    let arguments: [String]
    let logFile: String
    let logger: Logger
    private var pid: pid_t = 0

    public init(binary: String, arguments: [String], logFile: String, logger: Logger) {
        self.binary = binary
        self.arguments = arguments
        self.logFile = logFile
        self.logger = logger
    }

    /// Finds etcd as Debian's etcd-server installs it, or on PATH.
    public static func findBinary() throws -> String {
        let candidates =
            ["/usr/bin/etcd", "/usr/local/bin/etcd"]
            + (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/etcd" }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw EmbeddedEtcdError("etcd is not installed (apt-get install etcd-server): --cluster-init and --join run it")
        }
        return found
    }

    public func start() throws {
        guard let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw EmbeddedEtcdError("setpriv (util-linux) is missing: it ties etcd's life to the server's")
        }
        let log = try sys("open", logFile.quoted) { open(logFile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600) }
        defer { close(log) }
        pid = try Spawn.start(
            setpriv, [setpriv, "--pdeathsig", "KILL", "--", binary] + arguments, environment: currentEnvironment(),
            keep: [(from: log, to: 1), (from: log, to: 2)])
        logger.info("etcd member started", metadata: ["pid": "\(pid)", "log": "\(logFile)"])
    }

    /// The child's exit, if it has ended (reaped).
    func exited() throws -> ExitStatus? {
        var status: Int32 = 0
        let reaped = try sys("waitpid", "\(pid)") { waitpid(pid, &status, WNOHANG) }
        return reaped == pid ? ExitStatus(waitStatus: status) : nil
    }

    public func run() async throws {
        guard pid > 0 else { throw EmbeddedEtcdError("the etcd member was never started") }
        let stopped: Bool = await withGracefulShutdownHandler {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                if let status = try? exited() {
                    logger.error("the etcd member exited; this server stops with it", metadata: ["status": "\(status)", "log": "\(logFile)"])
                    return false
                }
                try? await Task.sleep(for: .milliseconds(500))
            }
            return true
        } onGracefulShutdown: {
        }
        guard stopped else { throw EmbeddedEtcdError("the etcd member exited (see \(logFile))") }
        await stop()
    }

    /// SIGTERM, then SIGKILL if etcd has not ended within 10 s.
    func stop() async {
        _ = kill(pid, SIGTERM)
        for _ in 0..<100 {
            if (try? exited()) != nil { return }
            try? await Task.sleep(for: .milliseconds(100))
        }
        _ = kill(pid, SIGKILL)
        _ = try? Spawn.wait(pid)
    }
}

public struct EmbeddedEtcdError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
