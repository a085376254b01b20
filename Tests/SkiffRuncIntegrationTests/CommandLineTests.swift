import Foundation
import Testing

/// runc's flags that containerd and people use, beyond the parity configurations.
@Suite("skiff-runc command line (root, real kernel)")
struct CommandLineTests {
    let cli = RuntimeCLI.skiff()

    @Test func noPivotRunsTheContainerWithMoveAndChroot() throws {
        let bundle = try Bundle(specFrom: .skiff) { $0.setArgs(["sh", "-c", "head -1 /proc/self/mountinfo | cut -d' ' -f5; ls /bin/busybox"]) }
        defer { bundle.remove() }
        let result = cli("run", "--no-pivot", "--bundle", bundle.path, Harness.uniqueID("nopivot"))
        #expect(result.stdout == "/\n/bin/busybox\n" && result.status == 0, "\(result)")
    }

    @Test func preserveFDsPassesDescriptorsFromThree() throws {
        let bundle = try Bundle(specFrom: .skiff) { $0.setArgs(["sh", "-c", "read line <&3; echo got $line; test -e /proc/self/fd/4 || echo no-fd-4"]) }
        defer { bundle.remove() }
        let input = Harness.scratch + "/" + Harness.uniqueID("fd3")
        try "through fd 3\n".write(toFile: input, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: input) }
        let result = Harness.run(
            "/bin/sh",
            [
                "-c", "exec \"$0\" --root \"$1\" run --preserve-fds 1 --bundle \"$2\" \"$3\" 3<\"$4\" 4</dev/null",
                cli.binary, cli.root, bundle.path, Harness.uniqueID("fds"), input,
            ])
        #expect(result.stdout == "got through fd 3\nno-fd-4\n" && result.status == 0, "\(result)")
    }

    /// The caller's descriptors may be closed, unlike ours: a missing one is an error that names
    /// it, not the EBADF trap the syscall funnel keeps for the runtime's own bugs.
    @Test func preserveFDsNamesADescriptorThatIsNotOpen() throws {
        let id = Harness.uniqueID("fdgone")
        let bundle = try Bundle(specFrom: .skiff) { $0.setArgs(["sleep", "60"]) }
        defer {
            cli("delete", "--force", id)
            bundle.remove()
        }
        try #require(cli.runDetached(bundle, id).status == 0)
        let exec = Harness.run(
            "/bin/sh",
            [
                "-c", "exec \"$0\" --root \"$1\" exec --preserve-fds 1 \"$2\" true 3<&-",
                cli.binary, cli.root, id,
            ])
        #expect(exec.status == 1 && exec.stderr.contains("--preserve-fds 1: descriptor 3 is not open"), "\(exec)")
    }

    @Test func execTakesAProcessJSONAndUpdateTakesResourcesOnStdin() throws {
        let id = Harness.uniqueID("procjson")
        let bundle = try Bundle(specFrom: .skiff) { c in
            c.setArgs(["sleep", "60"])
            c.set(["linux", "cgroupsPath"], "/skiff-test/\(id)")
        }
        defer {
            cli("delete", "--force", id)
            bundle.remove()
        }
        try #require(cli.runDetached(bundle, id).status == 0)
        let process = Harness.scratch + "/" + id + ".json"
        try #"{"cwd":"/tmp","args":["sh","-c","pwd; echo $X; id -u"],"env":["X=from-json","PATH=/bin"],"user":{"uid":1000,"gid":1000}}"#
            .write(toFile: process, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: process) }
        let exec = cli("exec", "--process", process, id)
        #expect(exec.stdout == "/tmp\nfrom-json\n1000\n" && exec.status == 0, "\(exec)")

        let update = cli("update", "--resources", "-", id, stdin: #"{"pids":{"limit":7}}"#)
        #expect(update.status == 0, "\(update)")
        let layout: CgroupLayout = CgroupLayout.hostHasV1Memory ? .v1 : .v2
        #expect(read(layout.path("/skiff-test/\(id)", "pids.max")) == "7")
        let bad = cli("update", "--resources", "-", id, stdin: #"{"pids":{"limit":"many"}}"#)
        #expect(bad.status == 1 && bad.stderr.contains("resources: pids.limit"), "\(bad)")
        #expect(read(layout.path("/skiff-test/\(id)", "pids.max")) == "7", "a rejected update changed the limit")
    }

    @Test func systemdCgroupPathsBecomeSliceScopes() throws {
        let id = Harness.uniqueID("systemd")
        let bundle = try Bundle(specFrom: .skiff) { $0.setArgs(["sleep", "60"]) }
        defer {
            Harness.run(cli.binary, ["--root", cli.root, "--systemd-cgroup", "delete", "--force", id])
            bundle.remove()
        }
        let run = cli.detached("--systemd-cgroup", "run", "--detach", "--bundle", bundle.path, id)
        try #require(run.status == 0, "\(run)")
        let cgroups = read("/proc/\(cli.pid(id))/cgroup")
        #expect(cgroups.contains("/system.slice/skiff-\(id).scope"), "\(cgroups)")
    }

    @Test func featuresDescribesTheRuntime() throws {
        let result = cli("features")
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let linux = json?["linux"] as? [String: Any]
        #expect((linux?["namespaces"] as? [String])?.contains("cgroup") == true)
        #expect((json?["hooks"] as? [String])?.count == 6)
        #expect(((linux?["seccomp"] as? [String: Any])?["enabled"] as? Bool) == true)
    }

    @Test func specRefusesToOverwriteAConfig() throws {
        let bundle = try Bundle(specFrom: .skiff) { _ in }
        defer { bundle.remove() }
        let result = Harness.run(cli.binary, ["spec"], directory: bundle.path)
        #expect(result.status == 1 && result.stderr.contains("config.json exists"), "\(result)")
    }
}
