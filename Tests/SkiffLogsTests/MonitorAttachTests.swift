import Foundation
import SkiffLogs
import SkiffSystem
import Testing

/// skiff-monitor's attach socket (`--stdin`, `--tty`), driven with the real skiff-runc and a
/// busybox container, the way the agent's attach sessions use it. Needs root.
@Suite("skiff-monitor attach sessions with the real skiff-runc (root)", .timeLimit(.minutes(2)))
struct MonitorAttachTests {
    /// A SOCK_SEQPACKET client of STATE/attach: kind byte, then payload.
    final class AttachClient {
        let fd: Int32

        init(stateDir: String) throws {
            let directory = try sys("open", stateDir) { open(stateDir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
            defer { closeFD(directory) }
            let address = try #require(UnixSocketAddress("/proc/self/fd/\(directory)/attach"))
            fd = try sys("socket", "seqpacket") { socket(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
            try sys("connect", "\(stateDir)/attach") { address.withSockaddr { connect(fd, $0, $1) } }
        }

        deinit { closeFD(fd) }

        func send(_ kind: UInt8, _ text: String = "") throws { try send(kind, Array(text.utf8)) }

        func send(_ kind: UInt8, _ payload: [UInt8]) throws {
            let packet = [kind] + payload
            _ = try packet.withUnsafeBytes { bytes in try sys("send", "attach") { Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) } }
        }

        /// Output packets (kind, text) until EOF or `seconds` pass; stops early once `until` appeared.
        func receive(until: String? = nil, seconds: Double = 20) -> (packets: [(UInt8, String)], eof: Bool) {
            var packets: [(UInt8, String)] = []
            let deadline = Date().addingTimeInterval(seconds)
            var buffer = [UInt8](repeating: 0, count: 65536)
            while Date() < deadline {
                if let until, packets.map(\.1).joined().contains(until) { return (packets, false) }
                var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&entry, 1, 200) > 0 else { continue }
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if count <= 0 { return (packets, true) }
                packets.append((buffer[0], String(decoding: buffer[1..<count], as: UTF8.self)))
            }
            return (packets, false)
        }
    }

    func records(_ path: String) throws -> [CRILogLine] {
        // Bytes, not Characters: a tty's "\r\n" is one Character, which a String split would not cut.
        try Array(FileSystem.readString(path).utf8).split(separator: 10).map { line throws in try CRILogLine(parsing: Array(line)) }
    }

    @Test("--stdin: a client's input reaches the container, its output comes back and is logged; --stdin-once ends stdin with the client's input (root)")
    func stdinPipe() throws {
        try #require(MonitorHarness.isRoot, "needs root")
        let scratch = try Scratch()
        defer { scratch.remove() }
        let bundle = try MonitorHarness.makeBundle(
            in: scratch.path, args: ["/bin/sh", "-c", "while read l; do echo got:$l; echo err:$l >&2; done; echo eof"])
        let run = try MonitorRun(scratch: scratch.path, bundle: bundle, extraArguments: ["--stdin", "--stdin-once"])
        defer { run.cleanUp() }
        #expect(run.result() == "created \(run.state("pid"))\n")
        #expect(try run.runtime("start", run.id).status == .exited(0))

        let client = try AttachClient(stateDir: run.stateDir)
        try client.send(0)  // the typing client
        try client.send(0, "hello\n")
        let first = client.receive(until: "err:hello")
        #expect(first.packets.contains { $0.0 == 1 && $0.1 == "got:hello\n" }, "\(first.packets)")
        #expect(first.packets.contains { $0.0 == 2 && $0.1 == "err:hello\n" }, "\(first.packets)")
        // A second client sees output from when it connected; it does not type.
        let watcher = try AttachClient(stateDir: run.stateDir)
        try client.send(0, "again\n")
        #expect(watcher.receive(until: "got:again").packets.map(\.1).joined().contains("got:again"))
        // stdinOnce: the typing client's end of input is the container's EOF.
        try client.send(255)
        let rest = client.receive()
        #expect(rest.eof, "the monitor closes the session when the container has exited")
        #expect(rest.packets.map(\.1).joined().contains("eof\n"), "\(rest.packets)")
        #expect(run.waitForExit() == .exited(0))
        let exit = try #require(MonitorHarness.readJSON(run.stateDir + "/exit.json"))
        #expect(exit["exitCode"] as? Int == 0)
        // The log has everything, attached or not.
        let stdout = try records(run.logPath).filter { $0.stream == .stdout }.map { String(decoding: $0.content, as: UTF8.self) }
        #expect(stdout == ["got:hello", "got:again", "eof"])
    }

    @Test("--stdin without --stdin-once: a client leaving keeps stdin open for the next one (root)")
    func stdinStaysOpen() throws {
        try #require(MonitorHarness.isRoot, "needs root")
        let scratch = try Scratch()
        defer { scratch.remove() }
        let bundle = try MonitorHarness.makeBundle(in: scratch.path, args: ["/bin/sh", "-c", "while read l; do echo got:$l; done"])
        let run = try MonitorRun(scratch: scratch.path, bundle: bundle, extraArguments: ["--stdin"])
        defer { run.cleanUp() }
        #expect(run.result() == "created \(run.state("pid"))\n")
        #expect(try run.runtime("start", run.id).status == .exited(0))
        do {
            let first = try AttachClient(stateDir: run.stateDir)
            try first.send(0, "one\n")
            #expect(first.receive(until: "got:one").packets.map(\.1).joined() == "got:one\n")
            try first.send(255)
        }
        let second = try AttachClient(stateDir: run.stateDir)
        try second.send(0, "two\n")
        #expect(second.receive(until: "got:two").packets.map(\.1).joined() == "got:two\n")
        #expect(try run.runtime("kill", run.id, "KILL").status == .exited(0))
        #expect(second.receive().eof)
        #expect(run.waitForExit() == .exited(0))
    }

    @Test("--tty: the container runs on a terminal whose size a client sets; output, echo included, comes back and is logged (root)")
    func terminal() throws {
        try #require(MonitorHarness.isRoot, "needs root")
        let scratch = try Scratch()
        defer { scratch.remove() }
        let bundle = try MonitorHarness.makeBundle(in: scratch.path, args: ["/bin/sh", "-c", "read l; echo size=$(stty size) got:$l; read l; echo bye"]) {
            config in
            var process = config["process"] as? [String: Any] ?? [:]
            process["terminal"] = true
            config["process"] = process
        }
        let run = try MonitorRun(scratch: scratch.path, bundle: bundle, extraArguments: ["--stdin", "--tty"])
        defer { run.cleanUp() }
        #expect(run.result() == "created \(run.state("pid"))\n")
        #expect(!FileManager.default.fileExists(atPath: run.stateDir + "/console"), "the console socket is gone once the terminal arrived")
        #expect(try run.runtime("start", run.id).status == .exited(0))
        let client = try AttachClient(stateDir: run.stateDir)
        // Width 101, height 33, little-endian.
        try client.send(4, [101, 0, 33, 0])
        try client.send(0, "typed\n")
        let output = client.receive(until: "got:typed\r\n")
        let text = output.packets.map(\.1).joined()
        #expect(output.packets.allSatisfy { $0.0 == 1 }, "a terminal has one output stream")
        #expect(text.contains("typed\r\n"), "the terminal echoes input: \(text.debugDescription)")
        #expect(text.contains("size=33 101 got:typed\r\n"), "\(text.debugDescription)")
        // Attach costs a socket, a terminal and buffers touched only when used: still small.
        let status = (try? FileSystem.readString("/proc/\(run.pid)/status")) ?? ""
        let rssKB =
            status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
            .flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true)[1]) } ?? -1
        let maps = (try? FileSystem.readString("/proc/\(run.pid)/maps")) ?? ""
        if !maps.contains(".so") { #expect(rssKB > 0 && rssKB <= 1024, "VmRSS \(rssKB) kB") }
        print("skiff-monitor VmRSS with a tty and a client attached: \(rssKB) kB (\(maps.contains(".so") ? "dynamic" : "static") build)")
        try client.send(0, "done\n")
        let rest = client.receive()
        #expect(rest.packets.map(\.1).joined().contains("bye\r\n"))
        #expect(rest.eof)
        #expect(run.waitForExit() == .exited(0))
        let logged = try records(run.logPath).map { String(decoding: $0.content, as: UTF8.self) }
        #expect(logged.contains("size=33 101 got:typed\r"), "\(logged)")
    }

    @Test("without --stdin or --tty there is no attach socket and stdin is /dev/null (root)")
    func noAttachByDefault() throws {
        try #require(MonitorHarness.isRoot, "needs root")
        let scratch = try Scratch()
        defer { scratch.remove() }
        let bundle = try MonitorHarness.makeBundle(in: scratch.path, args: ["/bin/sh", "-c", "cat; echo done"])
        let run = try MonitorRun(scratch: scratch.path, bundle: bundle)
        defer { run.cleanUp() }
        #expect(run.result() == "created \(run.state("pid"))\n")
        #expect(!FileManager.default.fileExists(atPath: run.stateDir + "/attach"))
        #expect(try run.runtime("start", run.id).status == .exited(0))
        #expect(run.waitForExit() == .exited(0))
        #expect(try records(run.logPath).map { String(decoding: $0.content, as: UTF8.self) } == ["done"])
    }
}
