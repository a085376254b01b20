import Glibc
import SkiffSystem

/// A TCP server in a network namespace that answers each connection with the client's address
/// as it saw it (socat's SOCAT_PEERADDR): what tells a preserved pod IP from a masqueraded one.
final class PeerAddressServer {
    let pid: pid_t
    let namespace: String
    let port: Int

    init(in namespace: String, port: Int) throws {
        self.namespace = namespace
        self.port = port
        pid = try Spawn.start(
            "/usr/bin/nsenter",
            ["nsenter", "--net=/run/netns/\(namespace)", "/usr/bin/socat", "TCP-LISTEN:\(port),reuseaddr,fork", "SYSTEM:echo $SOCAT_PEERADDR"],
            environment: ["PATH=/usr/bin:/bin"], newSession: true)
    }

    /// socat forks per connection: kill the whole session's process group.
    func stop() {
        kill(-pid, SIGKILL)
        _ = try? Spawn.wait(pid)
    }

    /// Connects from `client` (a namespace) to `address` on this server's port and returns the
    /// address the server saw, or nil when no connection was made in `attempts` tries (the
    /// server may still be starting; a missing route fails every try).
    func sourceSeen(from client: String, to address: String, attempts: Int = 20) -> String? {
        for attempt in 0..<attempts {
            if attempt > 0 { usleep(150_000) }
            guard
                let output = try? Command.run(
                    "/usr/bin/nsenter",
                    ["--net=/run/netns/\(client)", "/usr/bin/socat", "-T", "2", "-u", "TCP:\(address):\(port),connect-timeout=1", "STDOUT"],
                    environment: ["PATH=/usr/bin:/bin"]),
                output.status == .exited(0)
            else { continue }
            let seen = String(output.stdout.filter { !$0.isWhitespace })
            if !seen.isEmpty { return seen }
        }
        return nil
    }
}
