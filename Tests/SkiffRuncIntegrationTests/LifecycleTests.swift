import Foundation
import Testing

/// The container lifecycle driven step by step through the CLI, under skiff-runc and runc on the
/// same bundle: every step's exit code, the state it leaves, and the output that matters must match.
@Suite("lifecycle matches runc (root, real kernel)", .serialized)
struct LifecycleTests {
    /// One line per step: "step: exit N, status S, note".
    func transcript(_ cli: RuntimeCLI, bundle: Bundle) -> [String] {
        let id = Harness.uniqueID("life")
        defer { cli("delete", "--force", id) }
        var lines: [String] = []
        func step(_ name: String, _ result: Harness.Result, note: String = "") {
            lines.append("\(name): exit \(result.status == 0 ? 0 : 1), status \(cli.status(id))\(note.isEmpty ? "" : ", " + note)")
        }
        let pidFile = Harness.scratch + "/" + id + ".pid"
        let create = cli.detached("create", "--bundle", bundle.path, "--pid-file", pidFile, id)
        let pidMatches =
            (try? String(contentsOfFile: pidFile, encoding: .utf8)).map { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) == cli.pid(id) } ?? false
        step("create", create, note: "pid file matches state: \(pidMatches)")
        step("start", cli("start", id))
        step("start again", cli("start", id))
        let exec = cli("exec", id, "sh", "-c", "echo $((6*7)); hostname")
        step("exec", exec, note: exec.stdout.debugDescription)
        let failing = cli("exec", id, "sh", "-c", "exit 5")
        step("exec exit code", failing, note: "code \(failing.status)")
        step("exec --detach", cli.detached("exec", "--detach", id, "sleep", "30"))
        let ps = cli("ps", "--format", "json", id)
        let pids = (try? JSONSerialization.jsonObject(with: Data(ps.stdout.utf8)) as? [Any])?.count ?? -1
        step("ps", ps, note: "\(pids) processes")
        step("delete running", cli("delete", id))
        step("pause", cli("pause", id))
        step("resume", cli("resume", id))
        step("kill TERM", cli("kill", id, "TERM"), note: "pid 1 ignores it")
        let kill = cli("kill", id, "KILL")
        _ = RuntimeCLI.eventually { cli.status(id) == "stopped" }
        step("kill KILL", kill)
        let again = cli("kill", id, "KILL")
        step("kill stopped", again, note: "container not running: \(again.stderr.contains("container not running"))")
        step("delete", cli("delete", id))
        let missing = cli("delete", id)
        step("delete missing", missing, note: "does not exist: \(missing.stderr.contains("does not exist"))")
        step("delete --force missing", cli("delete", "--force", id))
        let state = cli("state", id)
        step("state missing", state, note: "does not exist: \(state.stderr.contains("does not exist"))")
        try? FileManager.default.removeItem(atPath: pidFile)
        return lines
    }

    @Test func lifecycleStepsMatchRunc() throws {
        try #require(Harness.isRoot, "needs root")
        let bundle = try Bundle(specFrom: .runc) { $0.setArgs(["sleep", "60"]) }
        defer { bundle.remove() }
        let skiff = transcript(.skiff(), bundle: bundle)
        let runc = transcript(.runc(), bundle: bundle)
        #expect(skiff == runc, "skiff-runc:\n\(skiff.joined(separator: "\n"))\nrunc:\n\(runc.joined(separator: "\n"))")
        // Pin what both must say, so matching failures cannot pass.
        #expect(runc.first == "create: exit 0, status created, pid file matches state: true")
        #expect(runc.contains("exec: exit 0, status running, \"42\\nrunc\\n\""))
        #expect(runc.contains("exec exit code: exit 1, status running, code 5"))
        #expect(runc.contains("ps: exit 0, status running, 2 processes"))
        #expect(runc.contains("pause: exit 0, status paused"))
        #expect(runc.contains("kill stopped: exit 1, status stopped, container not running: true"))
        #expect(runc.last == "state missing: exit 1, status absent, does not exist: true")
    }

    /// Every hook stage runs, in order, with the state the spec says it sees.
    @Test func hooksRunInOrderWithTheRightStateLikeRunc() throws {
        try #require(Harness.isRoot, "needs root")
        func run(_ cli: RuntimeCLI) throws -> (log: String, output: Harness.Result) {
            let log = Harness.scratch + "/" + Harness.uniqueID("hooks") + ".log"
            let bundle = try Bundle(specFrom: .runc) { c in
                c.set(["root", "readonly"], false)
                func hook(_ stage: String, _ file: String) -> [String: Any] {
                    [
                        "path": "/bin/sh",
                        "args": ["sh", "-c", "read -r s; echo \"\(stage) $(echo \"$s\" | grep -o '\"status\": *\"[a-z]*\"' | tr -d ' \"')\" >> \(file)"],
                    ]
                }
                var hooks: [String: Any] = [:]
                // createContainer runs in the container's namespaces but before pivot_root, so its
                // paths are still the host's; startContainer runs inside the container's root.
                for stage in ["prestart", "createRuntime", "createContainer", "poststart", "poststop"] { hooks[stage] = [hook(stage, log)] }
                hooks["startContainer"] = [hook("startContainer", "/hooks.log")]
                c.set(["hooks"], hooks)
                c.setArgs(["cat", "/hooks.log"])
            }
            defer { bundle.remove() }
            let output = Harness.run(cli.binary, ["--root", cli.root, "run", Harness.uniqueID("hooks")], directory: bundle.path)
            defer { try? FileManager.default.removeItem(atPath: log) }
            return ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "", output)
        }
        let skiff = try run(.skiff())
        let runc = try run(.runc())
        // One deliberate difference: runc 1.1 hands poststart hooks "created"; they run after the
        // user process started, and the spec's state for that is "running".
        let runcLog = runc.log.replacingOccurrences(of: "poststart status:created", with: "poststart status:running")
        #expect(skiff.log == runcLog, "host hooks differ: skiff \(skiff.log.debugDescription), runc \(runc.log.debugDescription)")
        #expect(skiff.output.stdout == runc.output.stdout, "container hooks differ: skiff \(skiff.output), runc \(runc.output)")
        #expect(runc.log.hasPrefix("prestart status:creating\ncreateRuntime status:creating\ncreateContainer status:creating\n"), "runc: \(runc.log)")
        #expect(runc.log.hasSuffix("poststop status:stopped\n"), "runc: \(runc.log)")
        #expect(runc.output.stdout == "startContainer status:created\n", "runc: \(runc.output)")
    }

    @Test func errorsGoToTheLogAsJSONForContainerd() throws {
        let log = Harness.scratch + "/" + Harness.uniqueID("log") + ".json"
        defer { try? FileManager.default.removeItem(atPath: log) }
        let result = Harness.run(
            Harness.skiffRunc, ["--root", Harness.scratch + "/skiff-state", "--log", log, "--log-format", "json", "kill", "no-such-container", "KILL"])
        #expect(result.status == 1)
        let line = try #require((try? String(contentsOfFile: log, encoding: .utf8))?.split(separator: "\n").last)
        let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        #expect(json?["level"] as? String == "error")
        #expect((json?["msg"] as? String)?.contains("does not exist") == true, "\(line)")
    }

    @Test func domainnameIsApplied() throws {
        let bundle = try Bundle(specFrom: .skiff) { c in
            c.set(["domainname"], "example.org")
            c.setArgs(["cat", "/proc/sys/kernel/domainname"])
        }
        defer { bundle.remove() }
        let result = RuntimeCLI.skiff()("run", "--bundle", bundle.path, Harness.uniqueID("domain"))
        #expect(result.stdout == "example.org\n" && result.status == 0, "\(result)")
    }
}

/// `run` with `terminal: true` and no --console-socket: the runtime makes the pty and carries
/// the bytes, as runc does. `script` gives both runtimes a real terminal to start from.
@Suite("terminal (root, real kernel)")
struct TerminalTests {
    @Test func foregroundRunWithTerminalProxiesThePtyLikeRunc() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "script (bsdutils) is missing")
        let bundle = try Bundle(specFrom: .runc) { c in
            c.set(["process", "terminal"], true)
            c.setArgs(["sh", "-c", "read line; echo got:$line; test -t 0 && echo stdin-is-a-tty"])
        }
        defer { bundle.remove() }
        func run(_ cli: RuntimeCLI) -> Harness.Result {
            let command = "\(cli.binary) --root \(cli.root) run \(Harness.uniqueID("tty"))"
            return Harness.run("/bin/sh", ["-c", "(sleep 0.5; echo hi) | script -qfec \"$0\" /dev/null", command], directory: bundle.path)
        }
        let skiff = run(.skiff())
        let runc = run(.runc())
        #expect(runc.stdout.contains("got:hi\r\nstdin-is-a-tty\r\n"), "runc: \(runc)")
        #expect(skiff.stdout == runc.stdout, "skiff: \(skiff) runc: \(runc)")
        #expect(skiff.status == runc.status)
    }
}
