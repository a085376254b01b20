import Foundation
import Testing

/// One configuration from issue 18's list of behaviours that differed from runc 1.1.5, run with
/// `run` under both runtimes, each on a fresh bundle: a run may leave files in the rootfs (a cwd
/// it made, a mount point) that would hide the other runtime's behaviour. Both must give the
/// same stdout and exit code, `expect` pins what runc gives, and when `stderr` is given both
/// must say it (runc's wording, which callers match on).
struct DifferenceCase: Sendable, CustomTestStringConvertible {
    let name: String
    let expect: @Sendable (Harness.Result) -> Bool
    var stderr: String?
    let edit: @Sendable (inout [String: Any]) -> Void

    init(
        name: String, stdout expected: String, status: Int32 = 0, stderr: String? = nil,
        edit: @escaping @Sendable (inout [String: Any]) -> Void
    ) {
        self.init(name: name, expect: stdout(expected, status: status), stderr: stderr, edit: edit)
    }

    init(
        name: String, expect: @escaping @Sendable (Harness.Result) -> Bool, stderr: String? = nil,
        edit: @escaping @Sendable (inout [String: Any]) -> Void
    ) {
        self.name = name
        self.expect = expect
        self.stderr = stderr
        self.edit = edit
    }

    var testDescription: String { name }

    static func withoutNamespace(_ type: String) -> @Sendable (inout [String: Any]) -> Void {
        { c in
            let namespaces = c.lookup(["linux", "namespaces"]) as? [[String: Any]] ?? []
            c.set(["linux", "namespaces"], namespaces.filter { $0["type"] as? String != type })
            if type == "uts" { c.set(["hostname"], nil) }
        }
    }

    static func sysctlRefused(_ key: String, without namespace: String?, _ message: String) -> DifferenceCase {
        DifferenceCase(name: "sysctl \(key) refused without \(namespace ?? "a namespace")", stdout: "", status: 1, stderr: message) { c in
            if let namespace { withoutNamespace(namespace)(&c) }
            c.set(["linux", "sysctl"], [key: "1"])
            c.setArgs(["true"])
        }
    }

    /// The root mount's optional fields (shared:N, master:N) with the numbers masked.
    static let rootPropagation = sh(
        #"awk '$5 == "/" { s = ""; for (i = 7; $i != "-"; i++) s = s $i " "; print "root: " s }' /proc/self/mountinfo | sed 's/:[0-9][0-9]*/:N/g'"#)

    static let all: [DifferenceCase] =
        [
            DifferenceCase(name: "tmpfs on a new directory takes its mode= option", stdout: "700\n") { c in
                c.append(["mounts"], ["destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["mode=700", "nosuid"]])
                c.setArgs(["stat", "-c", "%a", "/scratch"])
            },
            DifferenceCase(name: "read-only tmpfs on a new directory takes its mode= option", stdout: "750\nro\n") { c in
                c.append(["mounts"], ["destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["mode=0750", "ro"]])
                c.setArgs(sh("stat -c %a /scratch; grep ' /scratch ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1"))
            },
            DifferenceCase(name: "tmpfs on an existing directory keeps that directory's mode", stdout: "1777\n755\n") { c in
                c.append(["mounts"], ["destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["mode=700"]])
                c.append(["mounts"], ["destination": "/home", "type": "tmpfs", "source": "tmpfs", "options": ["mode=700"]])
                c.setArgs(sh("stat -c %a /tmp /home"))
            },
            DifferenceCase(name: "a missing cwd is created", stdout: "/no/such/dir\n755\n") { c in
                c.set(["process", "cwd"], "/no/such/dir")
                c.setArgs(sh("pwd; stat -c %a /no/such/dir"))
            },
            DifferenceCase(name: "a missing cwd is created under a read-only root", stdout: "/made\n") { c in
                c.set(["root", "readonly"], true)
                c.set(["process", "cwd"], "/made")
                c.setArgs(["pwd"])
            },
            DifferenceCase(name: "loopback is up in a new network namespace", stdout: "0x9\n") { c in
                c.setArgs(["cat", "/sys/class/net/lo/flags"])
            },
            DifferenceCase(name: "the container process leads its own session and process group", stdout: "1\n1 1\n") { c in
                c.setArgs(sh("echo $$; cut -d' ' -f5,6 /proc/$$/stat"))
            },
            sysctlRefused("kernel.hostname", without: nil, #"sysctl "kernel.hostname" is not allowed as it conflicts with the OCI "hostname" field"#),
            sysctlRefused("kernel.domainname", without: "uts", #"sysctl "kernel.domainname" is not in a separate kernel namespace"#),
            sysctlRefused("net.ipv4.ip_forward", without: "network", #"sysctl "net.ipv4.ip_forward" not allowed in host network namespace"#),
            sysctlRefused("kernel.shmmax", without: "ipc", #"sysctl "kernel.shmmax" is not allowed in the hosts ipc namespace"#),
            sysctlRefused("fs.mqueue.msg_max", without: "ipc", #"sysctl "fs.mqueue.msg_max" is not allowed in the hosts ipc namespace"#),
            sysctlRefused("vm.swappiness", without: nil, #"sysctl "vm.swappiness" is not in a separate kernel namespace"#),
            DifferenceCase(name: "slash-separated net sysctl in a network namespace", stdout: "1\n") { c in
                c.set(["linux", "sysctl"], ["net/ipv4/ip_forward": "1"])
                c.setArgs(["cat", "/proc/sys/net/ipv4/ip_forward"])
            },
            DifferenceCase(name: "IPC sysctl in an IPC namespace", stdout: "1000\n") { c in
                c.set(["linux", "sysctl"], ["kernel.shmmax": "1000"])
                c.setArgs(["cat", "/proc/sys/kernel/shmmax"])
            },
            DifferenceCase(name: "hostname without a UTS namespace", stdout: "", status: 1, stderr: "unable to set hostname without a private UTS namespace") {
                c in
                let namespaces = c.lookup(["linux", "namespaces"]) as? [[String: Any]] ?? []
                c.set(["linux", "namespaces"], namespaces.filter { $0["type"] as? String != "uts" })
                c.setArgs(["true"])
            },
            DifferenceCase(name: "device node outside /dev", stdout: "character special file 1 3 640\n") { c in
                c.set(["linux", "devices"], [["type": "c", "path": "/tmp/devices/null2", "major": 1, "minor": 3, "fileMode": 0o640]])
                c.setArgs(["stat", "-c", "%F %t %T %a", "/tmp/devices/null2"])
            },
            DifferenceCase(name: "device path with a trailing slash", stdout: "character special file a e5 666\n") { c in
                c.set(["linux", "devices"], [["type": "c", "path": "/dev/fuse/", "major": 10, "minor": 229, "fileMode": 0o666]])
                c.setArgs(["stat", "-c", "%F %t %T %a", "/dev/fuse"])
            },
            DifferenceCase(name: "device nodes without a /dev mount", stdout: "character special file 1 3\n") { c in
                let mounts = c.lookup(["mounts"]) as? [[String: Any]] ?? []
                c.set(["mounts"], mounts.filter { $0["destination"] as? String != "/dev" && !($0["destination"] as? String ?? "").hasPrefix("/dev/") })
                c.set(["root", "readonly"], false)
                c.setArgs(["stat", "-c", "%F %t %T", "/dev/null"])
            },
            DifferenceCase(name: "mount destination with a trailing slash", stdout: "tmpfs /data tmpfs\n") { c in
                c.append(["mounts"], ["destination": "/data/", "type": "tmpfs", "source": "tmpfs"])
                c.setArgs(sh("grep ' /data ' /proc/mounts | cut -d' ' -f1-3"))
            },
            DifferenceCase(name: "file bind mount on a destination with a trailing slash", stdout: "regular file\n") { c in
                c.append(["mounts"], ["destination": "/etc/hostname2/", "type": "bind", "source": "/etc/hostname", "options": ["bind"]])
                c.setArgs(["stat", "-c", "%F", "/etc/hostname2"])
            },
            DifferenceCase(name: "a missing bind source fails in the OS's words", stdout: "", status: 1, stderr: "no such file or directory") { c in
                c.append(["mounts"], ["destination": "/data", "type": "bind", "source": "/nonexistent-skiff-source", "options": ["bind"]])
                c.setArgs(["true"])
            },
            DifferenceCase(name: "a missing program fails in the OS's words", stdout: "", status: 1, stderr: "no such file or directory") { c in
                c.setArgs(["/no-such-program"])
            },
        ]
        + ["shared", "rshared", "private", "rprivate", "slave", "rslave"].map { propagation in
            // The host decides what the root's tags are (none here, master:N under systemd): the
            // runtimes must agree, and pivot_root must not fail.
            DifferenceCase(name: "rootfsPropagation \(propagation)", expect: { $0.status == 0 && $0.stdout.hasPrefix("root: ") }) { c in
                c.set(["linux", "rootfsPropagation"], propagation)
                c.setArgs(rootPropagation)
            }
        }
}

@Suite("behaviours that differed from runc (root, real kernel)", .serialized)
struct RuncDifferenceTests {
    func run(_ cli: RuntimeCLI, _ edit: (inout [String: Any]) -> Void) throws -> Harness.Result {
        let bundle = try Bundle(specFrom: .runc, edit: edit)
        defer { bundle.remove() }
        return Harness.run(cli.binary, ["--root", cli.root, "run", Harness.uniqueID("diff")], directory: bundle.path)
    }

    @Test("same output, exit code and wording as runc", arguments: DifferenceCase.all)
    func sameAsRunc(_ parity: DifferenceCase) throws {
        try #require(Harness.isRoot, "needs root: namespaces, mounts and cgroups")
        let runc = try run(.runc(), parity.edit)
        let skiff = try run(.skiff(), parity.edit)
        #expect(parity.expect(runc), "runc itself did not behave as the case expects: \(runc)")
        #expect(skiff.stdout == runc.stdout && skiff.status == runc.status, "skiff: \(skiff) runc: \(runc)")
        if let wording = parity.stderr {
            // runc's log lines escape the quotes inside msg="…".
            #expect(runc.stderr.replacingOccurrences(of: #"\""#, with: #"""#).contains(wording), "runc: \(runc)")
            #expect(skiff.stderr.contains(wording), "skiff: \(skiff)")
        }
    }
}

/// The differences that need more than one `run`: hooks, exec, the global flags, update.
@Suite("runc's hooks, exec, --log and update (root, real kernel)", .serialized)
struct RuncDifferenceCommandTests {
    /// A hook without `env` gets the runtime's whole environment, PATH included; one with an
    /// empty `env` gets nothing.
    @Test func hooksWithoutEnvInheritTheRuntimesEnvironmentLikeRunc() throws {
        func run(_ cli: RuntimeCLI) throws -> (inherited: String, empty: String, result: Harness.Result) {
            let inherited = Harness.scratch + "/" + Harness.uniqueID("hookenv")
            let empty = Harness.scratch + "/" + Harness.uniqueID("hookenv")
            defer { for file in [inherited, empty] { try? FileManager.default.removeItem(atPath: file) } }
            let bundle = try Bundle(specFrom: .runc) { c in
                c.set(
                    ["hooks"],
                    [
                        "prestart": [["path": "/bin/sh", "args": ["sh", "-c", "env > \(inherited)"]]],
                        "poststop": [["path": "/bin/sh", "args": ["sh", "-c", "env > \(empty)"], "env": [String]()]],
                    ])
                c.setArgs(["true"])
            }
            defer { bundle.remove() }
            let result = Harness.run(
                cli.binary, ["--root", cli.root, "run", Harness.uniqueID("hookenv")], directory: bundle.path,
                environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "SKIFF_HOOK_PROBE": "from-the-caller"])
            return (read(inherited), read(empty), result)
        }
        let skiff = try run(.skiff())
        let runc = try run(.runc())
        for (name, outcome) in [("runc", runc), ("skiff", skiff)] {
            #expect(outcome.result.status == 0, "\(name): \(outcome.result)")
            #expect(outcome.inherited.contains("PATH=/usr/sbin:/usr/bin:/sbin:/bin"), "\(name): \(outcome.inherited)")
            #expect(outcome.inherited.contains("SKIFF_HOOK_PROBE=from-the-caller"), "\(name): \(outcome.inherited)")
            #expect(!outcome.empty.contains("SKIFF_HOOK_PROBE") && !outcome.empty.contains("PATH=/usr"), "\(name): \(outcome.empty)")
        }
    }

    /// A failing poststart hook fails the command and removes the container (poststop runs).
    @Test func failingPoststartHookDeletesTheContainerLikeRunc() throws {
        func run(_ cli: RuntimeCLI, verbs: [[String]]) throws -> (results: [Harness.Result], state: String, poststop: String) {
            let marker = Harness.scratch + "/" + Harness.uniqueID("poststop")
            defer { try? FileManager.default.removeItem(atPath: marker) }
            let bundle = try Bundle(specFrom: .runc) { c in
                c.set(
                    ["hooks"],
                    [
                        "poststart": [["path": "/bin/false"]],
                        "poststop": [["path": "/bin/sh", "args": ["sh", "-c", "echo ran >> \(marker)"]]],
                    ])
                c.setArgs(["sleep", "30"])
            }
            defer { bundle.remove() }
            let id = Harness.uniqueID("poststart")
            defer { cli("delete", "--force", id) }
            let results = verbs.map { verb in cli.detached(verb + (verb.first == "start" ? [id] : ["--bundle", bundle.path, id])) }
            return (results, cli.status(id), read(marker))
        }
        let runc = try run(.runc(), verbs: [["run", "--detach"]])
        let skiff = try run(.skiff(), verbs: [["run", "--detach"]])
        for (name, outcome) in [("runc", runc), ("skiff", skiff)] {
            #expect(outcome.results.first?.status == 1, "\(name): \(outcome.results)")
            #expect(outcome.state == "absent", "\(name) left the container \(outcome.state)")
            #expect(outcome.poststop == "ran", "\(name): poststop \(outcome.poststop)")
        }
        // skiff-runc runs poststart hooks at `start` (runc 1.1 runs them at create): there the
        // failure fails `start` and removes the container.
        let split = try run(.skiff(), verbs: [["create"], ["start"]])
        #expect(split.results.map(\.status) == [0, 1], "\(split.results)")
        #expect(split.state == "absent" && split.poststop == "ran", "\(split)")
    }

    /// `exec`'d processes lead their own session and process group (runc's init calls setsid),
    /// with a terminal or without.
    @Test func execedProcessLeadsItsOwnSessionLikeRunc() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "script (bsdutils) is missing")
        let bundle = try Bundle(specFrom: .runc) { $0.setArgs(["sleep", "60"]) }
        defer { bundle.remove() }
        let probe = #"echo "$$ $(cut -d' ' -f5,6 /proc/$$/stat)""#
        for cli in [RuntimeCLI.runc(), .skiff()] {
            let id = Harness.uniqueID("pgid")
            defer { cli("delete", "--force", id) }
            try #require(cli.runDetached(bundle, id).status == 0)
            let plain = cli("exec", id, "sh", "-c", probe)
            let fields = plain.stdout.split { !$0.isNumber && $0 != "-" }
            #expect(plain.status == 0 && fields.count == 3 && Set(fields).count == 1, "\(cli.binary): \(plain)")
            // With a terminal the process also owns it: tpgid (field 8) is its pid too.
            let command = "\(cli.binary) --root \(cli.root) exec -t \(id) sh -c 'echo \"$$ $(cut -d\" \" -f5,6,8 /proc/$$/stat)\"'"
            let tty = Harness.run("/usr/bin/script", ["-qfec", command, "/dev/null"])
            // The pty may add a NUL and carriage returns: keep the numbers.
            let ttyFields = tty.stdout.split { !$0.isNumber && $0 != "-" }
            #expect(tty.status == 0 && ttyFields.count == 4 && Set(ttyFields).count == 1, "\(cli.binary) -t: \(tty)")
        }
    }

    /// `--log` is opened before anything runs, and a bad `--log-format` is refused, as runc does.
    @Test func badLogPathOrFormatFailsLikeRunc() throws {
        let log = Harness.scratch + "/" + Harness.uniqueID("log") + ".log"
        defer { try? FileManager.default.removeItem(atPath: log) }
        for cli in [RuntimeCLI.runc(), .skiff()] {
            let missing = cli("--log", "/nonexistent-skiff-dir/runtime.log", "list")
            #expect(
                missing.status == 1 && missing.stderr.contains("open /nonexistent-skiff-dir/runtime.log: no such file or directory"),
                "\(cli.binary): \(missing)")
            let directory = cli("--log", Harness.scratch, "list")
            #expect(directory.status == 1 && directory.stderr.contains("is a directory"), "\(cli.binary): \(directory)")
            let format = cli("--log-format", "xml", "list")
            #expect(format.status == 1 && format.stderr.contains("invalid log-format: xml"), "\(cli.binary): \(format)")
            try? FileManager.default.removeItem(atPath: log)
            let fine = cli("--log", log, "list")
            #expect(fine.status == 0 && FileManager.default.fileExists(atPath: log), "\(cli.binary) made no log file: \(fine)")
        }
    }

    /// `exec --cgroup`: the process runs in an existing sub-cgroup of the container's, for every
    /// controller or per controller; bad arguments fail in runc's words.
    @Test func execIntoASubCgroupLikeRunc() throws {
        let layout: CgroupLayout = CgroupLayout.hostHasV1Memory ? .v1 : .v2
        for cli in [RuntimeCLI.runc(), .skiff()] {
            let id = Harness.uniqueID("subcg")
            let cgroup = "/skiff-test/\(id)"
            let bundle = try Bundle(specFrom: .runc) { c in
                c.setArgs(["sleep", "60"])
                c.set(["linux", "cgroupsPath"], cgroup)
            }
            defer {
                cli("delete", "--force", id)
                bundle.remove()
            }
            try #require(cli.runDetached(bundle, id).status == 0)
            // Every hierarchy the container is in gets a "sub" child (cpuset needs cpus and mems).
            let directories = layout == .v2 ? [layout.mountPoint + cgroup] : cgroupDirectories(pid: cli.pid(id))
            for directory in directories {
                try FileManager.default.createDirectory(atPath: directory + "/sub", withIntermediateDirectories: true)
                for file in ["cpuset.cpus", "cpuset.mems"] where FileManager.default.fileExists(atPath: directory + "/" + file) {
                    try read(directory + "/" + file).write(toFile: directory + "/sub/" + file, atomically: false, encoding: .utf8)
                }
            }
            let all = cli("exec", "--cgroup", "sub", id, "cat", "/proc/self/cgroup")
            // On a hybrid host skiff-runc leaves the cgroup2 mount ("0::") alone, as it does for
            // the container itself.
            let lines = all.stdout.split(separator: "\n").filter { layout == .v2 || !$0.hasPrefix("0::") }
            #expect(all.status == 0 && !lines.isEmpty && lines.allSatisfy { $0.hasSuffix("/sub") }, "\(cli.binary): \(all)")
            if layout == .v1 {
                let one = cli("exec", "--cgroup", "pids:sub", id, "cat", "/proc/self/cgroup")
                let moved = one.stdout.split(separator: "\n").filter { $0.hasSuffix("/sub") }
                #expect(one.status == 0 && moved.count == 1 && moved.first?.contains(":pids:") == true, "\(cli.binary): \(one)")
            }
            let escape = cli("exec", "--cgroup", "../x", id, "true")
            #expect(escape.status != 0 && escape.stderr.contains("../x is not a sub cgroup path"), "\(cli.binary): \(escape)")
            let unknown = cli("exec", "--cgroup", "nosuch:x", id, "true")
            #expect(unknown.status != 0 && unknown.stderr.contains("unknown controller nosuch in SubCgroupPaths"), "\(cli.binary): \(unknown)")
            let twoBare = cli("exec", "--cgroup", "a", "--cgroup", "b", id, "true")
            #expect(twoBare.stderr.contains("invalid --cgroup argument: a (missing <controller>: prefix)"), "\(cli.binary): \(twoBare)")
            let absent = cli("exec", "--cgroup", "absent", id, "true")
            #expect(absent.status != 0 && absent.stderr.contains("no such file or directory"), "\(cli.binary): \(absent)")
            cli("delete", "--force", id)
            for directory in directories { rmdir(directory + "/sub") }
        }
    }

    /// Every flag of runc's `update`, one step at a time on a running container: each step's exit
    /// code and the cgroup files it touches must read the same under both runtimes.
    @Test func updateFlagsWriteTheSameCgroupFilesAsRunc() throws {
        let layout: CgroupLayout = CgroupLayout.hostHasV1Memory ? .v1 : .v2
        let v1 = layout == .v1
        let cpu = v1 ? ["cpu.cfs_period_us", "cpu.cfs_quota_us"] : ["cpu.max"]
        let memory = v1 ? ["memory.limit_in_bytes", "memory.memsw.limit_in_bytes"] : ["memory.max", "memory.swap.max"]
        var steps: [(arguments: [String], files: [String], stdin: String?)] = [
            (["--cpu-share", "512"], [v1 ? "cpu.shares" : "cpu.weight"], nil),
            (["--cpu-period", "200000", "--cpu-quota", "50000"], cpu, nil),
            // A quota alone keeps the period.
            (["--cpu-quota", "80000"], cpu, nil),
            (["--cpu-period", "100000"], cpu, nil),
            (["--cpuset-cpus", "0"], ["cpuset.cpus"], nil),
            (["--cpuset-mems", "0"], ["cpuset.mems"], nil),
            (["--memory", "100m", "--memory-swap", "200m"], memory, nil),
            (["--memory-reservation", "50m"], [v1 ? "memory.soft_limit_in_bytes" : "memory.low"], nil),
            (["--memory", "-1"], memory, nil),
            (["--pids-limit", "30"], ["pids.max"], nil),
            // 0 leaves the limit alone.
            (["--pids-limit", "0"], ["pids.max"], nil),
            (["--pids-limit", "-1"], ["pids.max"], nil),
            (["--cpu-share", "1"], [v1 ? "cpu.shares" : "cpu.weight"], nil),
            // With -r every other flag is ignored.
            (["-r", "-", "--pids-limit", "99"], ["pids.max", v1 ? "cpu.shares" : "cpu.weight"], #"{"pids":{"limit":40},"cpu":{"shares":256}}"#),
            (["--blkio-weight", "500"], [], nil),
        ]
        // Real-time group scheduling exists on v1 only (runc ignores it on v2).
        if v1 { steps.append((["--cpu-rt-period", "500000", "--cpu-rt-runtime", "1000"], ["cpu.rt_period_us", "cpu.rt_runtime_us"], nil)) }

        func transcript(_ cli: RuntimeCLI) throws -> [String] {
            let id = Harness.uniqueID("update")
            let cgroup = "/skiff-test/\(id)"
            let bundle = try Bundle(specFrom: .runc) { c in
                c.setArgs(["sleep", "60"])
                c.set(["linux", "cgroupsPath"], cgroup)
            }
            defer {
                cli("delete", "--force", id)
                bundle.remove()
            }
            try #require(cli.runDetached(bundle, id).status == 0)
            // A child's real-time runtime must fit in its parent's, which a new cgroup has none of.
            let parentRuntime = "/sys/fs/cgroup/cpu/skiff-test/cpu.rt_runtime_us"
            if v1 && read(parentRuntime) == "0" { try "100000".write(toFile: parentRuntime, atomically: false, encoding: .utf8) }
            return steps.map { step in
                let result = Harness.run(cli.binary, ["--root", cli.root, "update"] + step.arguments + [id], stdin: step.stdin)
                let values = step.files.map { "\($0)=\(read(layout.path(cgroup, $0)))" }
                // Which weight file the blkio weight went to (or failed on), v1's fallback included.
                let weight = ["blkio.bfq.weight", "blkio.weight", "io.bfq.weight", "io.weight"].first { result.stderr.contains($0) }
                return "\(step.arguments.joined(separator: " ")): exit \(result.status) \(values.joined(separator: " "))\(weight.map { " (" + $0 + ")" } ?? "")"
            }
        }
        let runc = try transcript(.runc())
        let skiff = try transcript(.skiff())
        #expect(skiff == runc, "skiff-runc:\n\(skiff.joined(separator: "\n"))\nrunc:\n\(runc.joined(separator: "\n"))")
        if v1 {
            // Pin runc's own answers on this kind of host, so matching failures cannot pass.
            #expect(runc.contains("--cpu-quota 80000: exit 0 cpu.cfs_period_us=200000 cpu.cfs_quota_us=80000"), "\(runc)")
            #expect(runc.contains("--pids-limit 0: exit 0 pids.max=30"), "\(runc)")
            #expect(runc.contains("--cpu-share 1: exit 1 cpu.shares=2"), "\(runc)")
            #expect(runc.contains("-r - --pids-limit 99: exit 0 pids.max=40 cpu.shares=256"), "\(runc)")
        }
    }

    /// A rootfs on a shared mount (as under systemd, unlike this host's private root) with a
    /// propagation that leaves that mount shared: the bind of the rootfs would be shared too and
    /// pivot_root would refuse it, unless the parent mount is made private first, as runc does.
    @Test(arguments: ["private", "shared", "rshared", "slave"])
    func rootfsOnASharedMountPivotsLikeRunc(_ propagation: String) throws {
        let mountPoint = Harness.scratch + "/" + Harness.uniqueID("shared")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        defer {
            Harness.run("/bin/umount", ["-l", mountPoint])
            try? FileManager.default.removeItem(atPath: mountPoint)
        }
        try #require(Harness.run("/bin/mount", ["-t", "tmpfs", "tmpfs", mountPoint]).status == 0)
        try #require(Harness.run("/bin/mount", ["--make-shared", mountPoint]).status == 0)
        for cli in [RuntimeCLI.runc(), .skiff()] {
            let bundle = try Bundle(specFrom: .runc, in: mountPoint) { c in
                c.set(["linux", "rootfsPropagation"], propagation)
                c.setArgs(["echo", "pivoted"])
            }
            defer { bundle.remove() }
            let result = Harness.run(cli.binary, ["--root", cli.root, "run", Harness.uniqueID("sharedroot")], directory: bundle.path)
            #expect(result.stdout == "pivoted\n" && result.status == 0, "\(cli.binary): \(result)")
        }
    }

    /// The container's cgroup directories on a v1 host, from /proc/PID/cgroup.
    func cgroupDirectories(pid: Int32) -> [String] {
        read("/proc/\(pid)/cgroup").split(separator: "\n").compactMap { line in
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { return nil }
            // The hybrid host's cgroup2 mount, which runc joins as well.
            if parts[1].isEmpty {
                return FileManager.default.fileExists(atPath: "/sys/fs/cgroup/unified\(parts[2])") ? "/sys/fs/cgroup/unified\(parts[2])" : nil
            }
            let name = parts[1].hasPrefix("name=") ? String(parts[1].dropFirst(5)) : String(parts[1])
            return "/sys/fs/cgroup/\(name)\(parts[2])"
        }
    }
}
