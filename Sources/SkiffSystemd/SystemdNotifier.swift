import Glibc
import SkiffSystem

/// Tells systemd how a `Type=notify` service is doing (the `sd_notify(3)` protocol): one
/// datagram of newline-separated `KEY=VALUE` lines sent to `$NOTIFY_SOCKET`.
///
/// Outside systemd (no `NOTIFY_SOCKET`) every call is a no-op, so code calls it unconditionally.
/// systemd only accepts messages from the unit's main process (`NotifyAccess=main`), which is
/// the process that reads the environment here.
public struct SystemdNotifier: Sendable {
    /// Where messages go; `nil` when the process was not started by systemd as a notify service.
    public let socket: NotifySocketAddress?
    /// The unit's `WatchdogSec=` (from `WATCHDOG_USEC`), when it has one and it is meant for
    /// this process (`WATCHDOG_PID` unset or equal to our pid).
    public let watchdogTimeout: Duration?

    public init(socket: NotifySocketAddress?, watchdogTimeout: Duration? = nil) {
        self.socket = socket
        self.watchdogTimeout = watchdogTimeout
    }

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from `environment`. A value
    /// that is not a socket address systemd would hand out is an error rather than a silent
    /// no-op: a unit that waits for READY=1 would otherwise time out with no hint why.
    public init(environment: [String: String], pid: pid_t = getpid()) throws {
        var socket: NotifySocketAddress?
        if let raw = environment["NOTIFY_SOCKET"], !raw.isEmpty {
            guard let address = NotifySocketAddress(raw) else {
                throw RuntimeError(
                    "NOTIFY_SOCKET=\(raw.quoted) is neither an absolute path nor an abstract socket name (@name) of at most 107 bytes")
            }
            socket = address
        }
        var timeout: Duration?
        if let usec = environment["WATCHDOG_USEC"].flatMap({ UInt64($0) }), usec > 0 {
            let forUs = environment["WATCHDOG_PID"].flatMap { pid_t($0) }.map { $0 == pid } ?? true
            if forUs { timeout = .microseconds(usec) }
        }
        self.init(socket: socket, watchdogTimeout: timeout)
    }

    /// The notifier for this process, from its environment.
    public static func fromProcessEnvironment() throws -> SystemdNotifier {
        var environment: [String: String] = [:]
        for name in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] {
            if let value = getenv(name) { environment[name] = String(cString: value) }
        }
        return try SystemdNotifier(environment: environment)
    }

    /// Whether messages go anywhere (the process runs as a systemd notify service).
    public var isEnabled: Bool { socket != nil }

    /// How often to send WATCHDOG=1: half the timeout, as sd_watchdog_enabled(3) advises.
    public var watchdogPingInterval: Duration? { watchdogTimeout.map { $0 / 2 } }

    /// READY=1: start-up is finished; `systemctl start` returns and `After=` units start.
    public func ready(status: String? = nil) throws {
        try send(["READY=1"] + (status.map { ["STATUS=\($0)"] } ?? []))
    }

    /// STATUS=…: one line shown by `systemctl status`.
    public func status(_ text: String) throws {
        try send(["STATUS=\(text)"])
    }

    /// STOPPING=1: shutdown has begun, so systemd shows "deactivating" rather than a failure.
    public func stopping(status: String? = nil) throws {
        try send(["STOPPING=1"] + (status.map { ["STATUS=\($0)"] } ?? []))
    }

    /// WATCHDOG=1: the service is alive; systemd restarts it when pings stop for WatchdogSec.
    public func watchdog() throws {
        try send(["WATCHDOG=1"])
    }

    /// Pings the watchdog every `watchdogPingInterval` until the task is cancelled; returns at
    /// once when the unit has no watchdog. Run it beside the service's main loop.
    public func pingWatchdogUntilCancelled() async {
        guard isEnabled, let interval = watchdogPingInterval else { return }
        while !Task.isCancelled {
            try? watchdog()
            do { try await Task.sleep(for: interval) } catch { return }
        }
    }

    /// Sends `assignments` (`KEY=VALUE` each) as one datagram. A no-op without a socket.
    public func send(_ assignments: [String]) throws {
        guard let socket else { return }
        for assignment in assignments where !assignment.contains("=") || assignment.contains("\n") {
            throw RuntimeError("sd_notify: \(assignment.quoted) is not a single KEY=VALUE line")
        }
        let message = Array((assignments.joined(separator: "\n") + "\n").utf8)
        let fd = try sys("socket", "AF_UNIX, SOCK_DGRAM") {
            Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        defer { closeFD(fd) }
        let sent = try socket.withSockaddr { (address, length) throws(SystemError) -> Int in
            try sys("sendto", socket.rawValue.quoted) {
                message.withUnsafeBytes { Glibc.sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), address, length) }
            }
        }
        // A datagram is sent whole or not at all; a short count would be a kernel surprise.
        guard sent == message.count else {
            throw RuntimeError("sd_notify: sent \(sent) of \(message.count) bytes to \(socket.rawValue.quoted)")
        }
    }
}
