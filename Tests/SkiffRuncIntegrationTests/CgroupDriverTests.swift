import Foundation
import Testing

/// The cgroup drivers against the real kernel. The v1 suite runs on hybrid/v1 hosts (like the
/// development machines); the v2 suite on pure v2 hosts, and `VMTests` runs it inside the
/// cgroup v2 VM on every `scripts/test`, so both drivers are exercised on each run.
enum CgroupLayout: Sendable {
    case v1, v2

    var mountPoint: String { "/sys/fs/cgroup" }

    /// The host path of `file` in the container's cgroup, e.g. memory.max.
    func path(_ cgroup: String, _ file: String) -> String {
        switch self {
        case .v2: return "\(mountPoint)\(cgroup)/\(file)"
        case .v1:
            let controller = String(file.prefix { $0 != "." })
            let directory = controller == "cgroup" ? "memory" : controller
            return "\(mountPoint)/\(directory)\(cgroup)/\(file)"
        }
    }

    var memoryLimitFile: String { self == .v2 ? "memory.max" : "memory.limit_in_bytes" }

    static var hostHasV1Memory: Bool { FileManager.default.fileExists(atPath: "/sys/fs/cgroup/memory/memory.limit_in_bytes") }
}

func read(_ path: String) -> String {
    ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "<missing \(path)>").trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Shared bodies for both drivers' suites.
struct CgroupDriverChecks {
    let layout: CgroupLayout
    let cli = RuntimeCLI.skiff()

    func bundle(_ args: [String], resources: [String: Any], cgroup: String) throws -> Bundle {
        try Bundle(specFrom: .skiff) { c in
            c.setArgs(args)
            c.set(["linux", "cgroupsPath"], cgroup)
            var merged = c.lookup(["linux", "resources"]) as? [String: Any] ?? [:]
            for (key, value) in resources { merged[key] = value }
            c.set(["linux", "resources"], merged)
        }
    }

    func limitsLandInTheCgroupFilesAndUpdateChangesThem() throws {
        let id = Harness.uniqueID("limits")
        let cgroup = "/skiff-test/\(id)"
        let bundle = try bundle(
            ["sleep", "60"],
            resources: [
                "memory": ["limit": 64 << 20], "cpu": ["shares": 512, "quota": 50_000, "period": 100_000], "pids": ["limit": 20],
            ], cgroup: cgroup)
        defer {
            cli("delete", "--force", id)
            bundle.remove()
        }
        let run = cli.runDetached(bundle, id)
        try #require(run.status == 0, "run: \(run)")

        #expect(read(layout.path(cgroup, layout.memoryLimitFile)) == "\(64 << 20)")
        #expect(read(layout.path(cgroup, "pids.max")) == "20")
        switch layout {
        case .v1:
            #expect(read(layout.path(cgroup, "cpu.cfs_quota_us")) == "50000")
            #expect(read(layout.path(cgroup, "cpu.cfs_period_us")) == "100000")
            #expect(read(layout.path(cgroup, "cpu.shares")) == "512")
        case .v2:
            #expect(read(layout.path(cgroup, "cpu.max")) == "50000 100000")
            #expect(read(layout.path(cgroup, "cpu.weight")) == "20")
        }
        let pid = cli.pid(id)
        #expect(read(layout.path(cgroup, "cgroup.procs")).split(separator: "\n").contains(Substring("\(pid)")))

        let update = cli("update", "--memory", "32m", "--pids-limit", "30", id)
        #expect(update.status == 0, "update: \(update)")
        #expect(read(layout.path(cgroup, layout.memoryLimitFile)) == "\(32 << 20)")
        #expect(read(layout.path(cgroup, "pids.max")) == "30")

        let stats = try statsData(id)
        let memory = stats["memory"] as? [String: Any]
        let usage = memory?["usage"] as? [String: Any]
        #expect((usage?["limit"] as? NSNumber)?.int64Value == 32 << 20)
        #expect(((usage?["usage"] as? NSNumber)?.int64Value ?? 0) > 0)
        let pids = stats["pids"] as? [String: Any]
        #expect((pids?["current"] as? NSNumber)?.intValue == 1)
        #expect((pids?["limit"] as? NSNumber)?.intValue == 30)
        let cpu = (stats["cpu"] as? [String: Any])?["usage"] as? [String: Any]
        #expect(((cpu?["total"] as? NSNumber)?.int64Value ?? 0) > 0)

        let delete = cli("delete", "--force", id)
        #expect(delete.status == 0, "delete: \(delete)")
        #expect(!FileManager.default.fileExists(atPath: layout.path(cgroup, "cgroup.procs")), "cgroup left behind")
    }

    func oomKillIsCountedInStats() throws {
        let id = Harness.uniqueID("oom")
        let cgroup = "/skiff-test/\(id)"
        let bundle = try bundle(
            ["sh", "-c", "dd if=/dev/zero of=/dev/null bs=64M count=1; sleep 60"],
            resources: ["memory": ["limit": 16 << 20, "swap": 16 << 20]], cgroup: cgroup)
        defer {
            cli("delete", "--force", id)
            bundle.remove()
        }
        try #require(cli.runDetached(bundle, id).status == 0)
        var kills: Int64 = 0
        let counted = RuntimeCLI.eventually(10) {
            let memory = (try? statsData(id))?["memory"] as? [String: Any]
            kills = (memory?["oom_kill"] as? NSNumber)?.int64Value ?? 0
            return kills >= 1
        }
        #expect(counted, "oom_kill stayed at \(kills)")
        #expect(cli.status(id) == "running", "the container's shell survives; only dd is killed")
    }

    func fourMebibyteContainerRunsEcho() throws {
        let id = Harness.uniqueID("tiny")
        let bundle = try bundle(
            ["echo", "fits in 4 MiB"], resources: ["memory": ["limit": 4 << 20, "swap": 4 << 20]],
            cgroup: "/skiff-test/\(id)")
        defer { bundle.remove() }
        let run = cli("run", "--bundle", bundle.path, id)
        #expect(run.stdout == "fits in 4 MiB\n" && run.status == 0, "\(run)")
    }

    /// Issue 18's tiny limits: nothing skiff-runc charges to the container's cgroup before
    /// execve needs 2 MiB (runc 1.1.5 fails near 10 MiB: "unable to set memory limit to 2097152
    /// (current usage: 2351104…)"), and the limit is the container's: a shell that grows past it
    /// is OOM-killed.
    func twoMebibyteContainerStartsAndItsLimitHolds() throws {
        let limits: [String: Any] = ["memory": ["limit": 2 << 20, "swap": 2 << 20]]
        let id = Harness.uniqueID("twomib")
        let bundle = try bundle(["/bin/true"], resources: limits, cgroup: "/skiff-test/\(id)")
        defer { bundle.remove() }
        let run = cli("run", "--bundle", bundle.path, id)
        #expect(run.status == 0, "/bin/true under 2 MiB: \(run)")

        let hogID = Harness.uniqueID("twomib-hog")
        let hog = try self.bundle(
            ["sh", "-c", "x=$(head -c 8000000 /dev/zero | tr '\\0' a); echo ${#x}"], resources: limits, cgroup: "/skiff-test/\(hogID)")
        defer { hog.remove() }
        let grown = cli("run", "--bundle", hog.path, hogID)
        #expect(grown.status == 137 && grown.stdout.isEmpty, "8 MB in a shell variable under 2 MiB is OOM-killed: \(grown)")
    }

    func pauseFreezesAndResumeThaws() throws {
        let id = Harness.uniqueID("freeze")
        let bundle = try bundle(["sleep", "60"], resources: [:], cgroup: "/skiff-test/\(id)")
        defer {
            cli("delete", "--force", id)
            bundle.remove()
        }
        try #require(cli.runDetached(bundle, id).status == 0)
        #expect(cli("pause", id).status == 0)
        #expect(cli.status(id) == "paused")
        let pid = cli.pid(id)
        #expect(read("/proc/\(pid)/stat").contains(") D ") || read("/proc/\(pid)/stat").contains(") S ") || read("/proc/\(pid)/stat").contains(") T "))
        #expect(cli("resume", id).status == 0)
        #expect(cli.status(id) == "running")
        #expect(cli("kill", id, "KILL").status == 0)
        #expect(RuntimeCLI.eventually { cli.status(id) == "stopped" })
    }

    func statsData(_ id: String) throws -> [String: Any] {
        let events = cli("events", "--stats", id)
        try #require(events.status == 0, "events --stats: \(events)")
        let json = try JSONSerialization.jsonObject(with: Data(events.stdout.utf8)) as? [String: Any]
        return json?["data"] as? [String: Any] ?? [:]
    }
}

@Suite(
    "cgroup v1 driver (root, real kernel)",
    .enabled(
        if: CgroupLayout.hostHasV1Memory,
        "this host has no cgroup v1 memory hierarchy; the v2 suite covers the drivers here"))
struct CgroupV1DriverTests {
    let checks = CgroupDriverChecks(layout: .v1)
    @Test func limitsLandInTheCgroupFilesAndUpdateChangesThem() throws { try checks.limitsLandInTheCgroupFilesAndUpdateChangesThem() }
    @Test func oomKillIsCountedInStats() throws { try checks.oomKillIsCountedInStats() }
    @Test func fourMebibyteContainerRunsEcho() throws { try checks.fourMebibyteContainerRunsEcho() }
    @Test func twoMebibyteContainerStartsAndItsLimitHolds() throws { try checks.twoMebibyteContainerStartsAndItsLimitHolds() }
    @Test func pauseFreezesAndResumeThaws() throws { try checks.pauseFreezesAndResumeThaws() }
}

@Suite(
    "cgroup v2 driver (root, real kernel)",
    .enabled(
        if: Harness.hostHasCgroupV2Controllers,
        "needs a pure cgroup v2 host: VMTests.cgroupV2DriverTestsPassInsideTheVM runs this suite in the v2 VM"))
struct CgroupV2DriverTests {
    let checks = CgroupDriverChecks(layout: .v2)
    @Test func limitsLandInTheCgroupFilesAndUpdateChangesThem() throws { try checks.limitsLandInTheCgroupFilesAndUpdateChangesThem() }
    @Test func oomKillIsCountedInStats() throws { try checks.oomKillIsCountedInStats() }
    @Test func fourMebibyteContainerRunsEcho() throws { try checks.fourMebibyteContainerRunsEcho() }
    @Test func twoMebibyteContainerStartsAndItsLimitHolds() throws { try checks.twoMebibyteContainerStartsAndItsLimitHolds() }
    @Test func pauseFreezesAndResumeThaws() throws { try checks.pauseFreezesAndResumeThaws() }
}
