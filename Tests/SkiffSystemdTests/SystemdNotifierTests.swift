import Glibc
import SkiffSystem
import Testing

@testable import SkiffSystemd

/// Checks the notifier against a real AF_UNIX datagram socket standing in for systemd's.
@Suite("SystemdNotifier (real AF_UNIX datagram socket)")
struct SystemdNotifierTests {
    @Test("READY=1 with STATUS arrives as one datagram on a file-system socket")
    func readyOnPathSocket() throws {
        let receiver = try NotifyReceiver(abstract: false)
        defer { receiver.close() }
        let notifier = try SystemdNotifier(environment: ["NOTIFY_SOCKET": receiver.address])
        #expect(notifier.isEnabled)
        try notifier.ready(status: "listening on :6443")
        #expect(try receiver.receive() == "READY=1\nSTATUS=listening on :6443\n")
    }

    @Test("STOPPING=1 and STATUS reach an abstract socket (@name)")
    func stoppingOnAbstractSocket() throws {
        let receiver = try NotifyReceiver(abstract: true)
        defer { receiver.close() }
        let notifier = try SystemdNotifier(environment: ["NOTIFY_SOCKET": receiver.address])
        #expect(notifier.socket?.isAbstract == true)
        try notifier.status("draining")
        try notifier.stopping()
        #expect(try receiver.receive() == "STATUS=draining\n")
        #expect(try receiver.receive() == "STOPPING=1\n")
    }

    @Test("without NOTIFY_SOCKET every call is a no-op")
    func noSocketIsNoOp() async throws {
        let notifier = try SystemdNotifier(environment: [:])
        #expect(!notifier.isEnabled)
        #expect(notifier.watchdogPingInterval == nil)
        try notifier.ready()
        try notifier.stopping()
        try notifier.watchdog()
        await notifier.pingWatchdogUntilCancelled()  // returns at once
    }

    @Test(
        "a NOTIFY_SOCKET systemd would not hand out is an error naming the value",
        arguments: ["run/notify", "@", "vsock:2:1234", "/" + String(repeating: "x", count: 200)])
    func rejectsBadSocketAddresses(raw: String) {
        #expect {
            _ = try SystemdNotifier(environment: ["NOTIFY_SOCKET": raw])
        } throws: { error in
            "\(error)".contains("NOTIFY_SOCKET=\"\(raw)\"")
        }
    }

    @Test("WATCHDOG_USEC gives a ping interval of half the timeout, only for the pid it names")
    func watchdogInterval() throws {
        let pid = getpid()
        let ours = try SystemdNotifier(environment: ["WATCHDOG_USEC": "3000000", "WATCHDOG_PID": "\(pid)"])
        #expect(ours.watchdogTimeout == .seconds(3))
        #expect(ours.watchdogPingInterval == .milliseconds(1500))
        let unnamed = try SystemdNotifier(environment: ["WATCHDOG_USEC": "3000000"])
        #expect(unnamed.watchdogTimeout == .seconds(3))
        let someoneElses = try SystemdNotifier(environment: ["WATCHDOG_USEC": "3000000", "WATCHDOG_PID": "\(pid + 1)"])
        #expect(someoneElses.watchdogTimeout == nil)
        let zero = try SystemdNotifier(environment: ["WATCHDOG_USEC": "0"])
        #expect(zero.watchdogTimeout == nil)
    }

    @Test("the watchdog loop sends WATCHDOG=1 repeatedly until cancelled")
    func watchdogLoop() async throws {
        let receiver = try NotifyReceiver(abstract: false)
        defer { receiver.close() }
        let notifier = try SystemdNotifier(environment: ["NOTIFY_SOCKET": receiver.address, "WATCHDOG_USEC": "40000"])
        #expect(notifier.watchdogPingInterval == .milliseconds(20))
        let pinging = Task { await notifier.pingWatchdogUntilCancelled() }
        // Wait without blocking a cooperative thread: the pinging task needs one to run.
        #expect(try await receiver.receiveYielding() == "WATCHDOG=1\n")
        #expect(try await receiver.receiveYielding() == "WATCHDOG=1\n")
        pinging.cancel()
        await pinging.value
    }

    @Test("sending to a socket nobody listens on fails naming sendto and the path")
    func sendToMissingSocketFails() throws {
        let notifier = try SystemdNotifier(environment: ["NOTIFY_SOCKET": "/nonexistent-skiff-notify/sock"])
        #expect {
            try notifier.ready()
        } throws: { error in
            (error as? SystemError).map { $0.call == "sendto" && $0.argument.contains("/nonexistent-skiff-notify/sock") } ?? false
        }
    }

    @Test("a value with a newline is refused instead of smuggling a second assignment")
    func refusesMultilineValues() throws {
        let receiver = try NotifyReceiver(abstract: false)
        defer { receiver.close() }
        let notifier = try SystemdNotifier(environment: ["NOTIFY_SOCKET": receiver.address])
        #expect(throws: RuntimeError.self) { try notifier.status("a\nREADY=1") }
    }
}

/// A bound AF_UNIX datagram socket playing systemd's part.
struct NotifyReceiver {
    let fd: Int32
    /// The NOTIFY_SOCKET value for it.
    let address: String
    private let directory: String?

    init(abstract: Bool) throws {
        let unique = "skiff-notify-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        var directory: String?
        if abstract {
            address = "@" + unique
        } else {
            let made = "/tmp/" + unique
            try sys("mkdir", made) { mkdir(made, 0o700) }
            directory = made
            address = made + "/notify"
        }
        self.directory = directory
        fd = try sys("socket", "AF_UNIX, SOCK_DGRAM") { socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        guard let parsed = NotifySocketAddress(address) else { throw RuntimeError("bad test address \(address)") }
        let fd = fd
        try parsed.withSockaddr { (pointer, length) throws(SystemError) -> Void in
            try sys("bind", parsed.rawValue) { bind(fd, pointer, length) }
        }
    }

    /// One datagram, waiting at most five seconds.
    func receive() throws -> String {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = try sys("poll", address) { poll(&poller, 1, 5000) }
        guard ready == 1 else { throw RuntimeError("no datagram on \(address) within 5 s") }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = try sys("recv", address) { buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) } }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }

    /// One datagram within ten seconds, polling without blocking so other tasks can run.
    func receiveYielding() async throws -> String {
        for _ in 0..<1000 {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if try sys("poll", address, { poll(&poller, 1, 0) }) == 1 { return try receive() }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw RuntimeError("no datagram on \(address) within 10 s")
    }

    func close() {
        closeFD(fd)
        if let directory {
            unlink(address)
            rmdir(directory)
        }
    }
}
