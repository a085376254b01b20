import Glibc
import SkiffCgroups
import SkiffOCI
import SkiffStats
import SkiffSystem
import Testing

/// Busy loops in a real pod/container cgroup pair, sampled twice by the real sampler.
/// Shared by the v1 suite (this host) and the v2 suite (the cgroup v2 VM).
struct RealCgroupChecks {
    let hierarchy: CgroupHierarchy
    let busyLoops: Int
    /// A CFS quota (µs per 100 ms period) set on the container cgroup through SkiffCgroups'
    /// `apply`, the code skiff-runc sets a container's limits with; nil: unlimited.
    var cpuQuota: Int64? = nil

    struct Result {
        let first: StatsSnapshot
        let second: StatsSnapshot
    }

    static var isRoot: Bool { geteuid() == 0 }

    /// Directories a process must join: one per v1 hierarchy, or the one v2 directory.
    func directories(_ path: String) -> [String] {
        switch hierarchy {
        case .unified(let mountPoint): [mountPoint + path]
        case .legacy(let mountPoints): Array(Set(mountPoints.values.map { $0 + path })).sorted()
        }
    }

    func run() throws -> Result {
        // Tests of one suite run in parallel in one process: each needs a tree of its own.
        let base = "/skiff-stats-test-\(getpid())-\(busyLoops)-\(cpuQuota.map { "quota\($0)" } ?? "unlimited")"
        let paths = [base, base + "/pod1", base + "/pod1/c1"]
        let cgroups = paths.map { Cgroups.open(path: $0, hierarchy: hierarchy) }
        var children: [pid_t] = []
        defer {
            for pid in children { kill(pid, SIGKILL) }
            for pid in children { _ = try? Spawn.wait(pid) }
            // Leaf to root; destroy() kills whatever is left and rmdirs.
            for cgroup in cgroups.reversed() {
                do { try cgroup.destroy() } catch { Issue.record("cleanup of \(cgroup.path): \(error)") }
            }
        }
        try cgroups[2].create()
        if let cpuQuota {
            try cgroups[2].apply(RuntimeSpec.Resources(cpu: RuntimeSpec.CPU(shares: 102, quota: cpuQuota, period: 100_000)))
        }
        // Each loop joins the container cgroup itself before it execs, so it never runs outside it.
        let join = directories(paths[2]).map { "echo $$ > '\($0)/cgroup.procs'" }.joined(separator: " && ")
        for _ in 0..<busyLoops {
            children.append(
                try Spawn.start(
                    "/bin/sh", ["sh", "-c", "\(join) && exec busybox sh -c 'while :; do :; done'"],
                    environment: currentEnvironment()))
        }
        let container = cgroups[2]
        for _ in 0..<300 where (try? container.processes().count) != busyLoops { usleep(10_000) }
        try #require(try container.processes().count == busyLoops, "the busy loops did not join \(paths[2])")

        let sampler = StatsSampler(hierarchy: hierarchy, minimumWindowNanoseconds: 500_000_000)
        let pod = PodStatsTarget(
            namespace: "default", name: "pod1", uid: "uid-1", cgroupPath: paths[1],
            containers: [
                ContainerStatsTarget(name: "c1", cgroupPath: paths[2], startTime: .now())
            ])
        let first = sampler.sample([pod])
        usleep(1_200_000)
        let second = sampler.sample([pod])
        return Result(first: first, second: second)
    }

    /// What must hold on either cgroup version.
    func check(_ result: Result) throws {
        #expect(result.second.errors.isEmpty, "errors: \(result.second.errors)")
        let pod = try #require(result.second.pods.first)
        let container = try #require(pod.containers.first?.stats, "no stats for c1")
        let podStats = try #require(pod.stats, "no stats for pod1")
        let firstUsage = result.first.pods.first?.containers.first?.stats?.cpuUsageCoreNanoseconds ?? 0
        #expect(container.cpuUsageCoreNanoseconds > firstUsage, "cpu time did not grow")
        let nanoCores = try #require(container.cpuUsageNanoCores, "no usageNanoCores on the second sample")
        // A rate, not a benchmark: on a machine the rest of the suite keeps busy the loops got
        // under a tenth of a core (95,655,476) in 1.2 s, so only a clearly non-zero rate is asked.
        #expect(nanoCores > 10_000_000, "\(busyLoops) busy loops used only \(nanoCores) nanocores")
        #expect(container.memoryUsageBytes > 0 && container.memoryWorkingSetBytes > 0)
        #expect(container.memoryWorkingSetBytes <= container.memoryUsageBytes)
        #expect(container.processCount == UInt64(busyLoops))
        #expect(container.threadCount == UInt64(busyLoops), "busybox sh is single-threaded: pids.current == processes")
        #expect(podStats.processCount == UInt64(busyLoops), "the pod's process count is its containers' sum")
        #expect(podStats.threadCount == UInt64(busyLoops), "the pod's pids.current counts its container")
        // Every loop has some descriptor open (its standard streams).
        #expect((container.fileDescriptors ?? 0) >= UInt64(busyLoops), "fds: \(String(describing: container.fileDescriptors))")
        #expect(podStats.cpuUsageCoreNanoseconds >= container.cpuUsageCoreNanoseconds)
        #expect(container.oomKills == 0)
        let node = try #require(result.second.node)
        #expect((node.cpuUsageNanoCores ?? 0) > 0)
        print("skiff-stats sample: cpu \(nanoCores) nanocores, memory working set \(container.memoryWorkingSetBytes) B, pids \(container.processCount)")
        print(PodsTable.render(PodsTable.rows(result.second) { _, _ in "Running" }), terminator: "")
    }
}

@Suite(
    "stats on real cgroup v1 (root)",
    .enabled(if: RealCgroupChecks.isRoot && RealCgroupHosts.hasV1, "needs root and cgroup v1 controllers (the hybrid dev host)"))
struct StatsCgroupV1Tests {
    @Test("busy loops in pod1/c1: cpu time and nanocores grow, memory > 0, pids == 2, pod counts them too")
    func busyLoopIsAccounted() throws {
        let checks = RealCgroupChecks(hierarchy: try CgroupHierarchy.detect(), busyLoops: 2)
        try checks.check(try checks.run())
    }

    @Test("a busy loop under a 10 ms/100 ms CFS quota: nr_throttled and throttled_time rise, cfs_quota_us shows in the spec")
    func busyLoopIsThrottled() throws {
        try RealCgroupChecks.checkThrottling(hierarchy: try CgroupHierarchy.detect())
    }
}

@Suite(
    "stats on real cgroup v2 (root)",
    .enabled(
        if: RealCgroupChecks.isRoot && RealCgroupHosts.hasV2,
        "needs a pure cgroup v2 host: VMTests.statsCgroupV2TestsPassInsideTheVM runs this suite in the v2 VM"))
struct StatsCgroupV2Tests {
    @Test("busy loops in pod1/c1 on v2: cpu, memory, pids, io.stat and non-empty PSI with cpu stall time")
    func busyLoopIsAccountedWithPressure() throws {
        // Three loops on the VM's two CPUs, so some of them wait and cpu.pressure grows.
        let checks = RealCgroupChecks(hierarchy: try CgroupHierarchy.detect(), busyLoops: 3)
        let result = try checks.run()
        try checks.check(result)
        let stats = try #require(result.second.pods.first?.containers.first?.stats)
        let pressure = try #require(stats.pressure, "no PSI files in the v2 cgroup")
        let cpu = try #require(pressure.cpu)
        #expect(pressure.memory != nil && pressure.io != nil)
        #expect(cpu.some.total > 0, "three loops on two CPUs never waited?")
        #expect(result.second.node?.pressure != nil, "/proc/pressure missing on a PSI kernel")
        print(
            "skiff-stats psi: cpu some total=\(cpu.some.total)us avg10=\(cpu.some.avg10) full total=\(cpu.full.total)us; "
                + "memory some total=\(pressure.memory?.some.total ?? 0)us; io some total=\(pressure.io?.some.total ?? 0)us")
        let summary = Summary(snapshot: result.second, nodeName: "vm").jsonText
        #expect(summary.contains("\"psi\":{\"full\":"))
    }

    @Test("a busy loop under a 10 ms/100 ms cpu.max on v2: nr_throttled and throttled_usec rise, cpu.max and cpu.weight show in the spec")
    func busyLoopIsThrottledOnV2() throws {
        try RealCgroupChecks.checkThrottling(hierarchy: try CgroupHierarchy.detect())
    }
}

extension RealCgroupChecks {
    /// A busy loop under a 10 ms per 100 ms quota (the kubelet's `limits.cpu: 100m`) is
    /// throttled in nearly every period: the counters rise between the samples, the spec shows
    /// the quota, and /metrics/cadvisor has the CFS families.
    static func checkThrottling(hierarchy: CgroupHierarchy) throws {
        let checks = RealCgroupChecks(hierarchy: hierarchy, busyLoops: 1, cpuQuota: 10_000)
        let result = try checks.run()
        try checks.check(result)
        let before = try #require(result.first.pods.first?.containers.first?.stats?.cpuThrottling, "no cpu.stat nr_periods")
        let container = try #require(result.second.pods.first?.containers.first?.stats)
        let after = try #require(container.cpuThrottling)
        #expect(container.cpuLimits?.quota == 10_000 && container.cpuLimits?.period == 100_000)
        #expect(after.periods > before.periods, "periods \(before.periods) → \(after.periods)")
        // 1.2 s is 12 periods; allow for a machine that ran the loop late in a few of them.
        #expect(after.throttledPeriods >= before.throttledPeriods + 3, "throttled \(before.throttledPeriods) → \(after.throttledPeriods)")
        #expect(after.throttledNanoseconds > before.throttledNanoseconds)
        let text = CadvisorMetrics.render(result.second)
        #expect(text.contains("# TYPE container_cpu_cfs_throttled_periods_total counter\n"))
        #expect(text.contains("container_cpu_cfs_throttled_periods_total{container=\"c1\""))
        #expect(text.contains("container_spec_cpu_quota{container=\"c1\",id=\"\(result.second.pods[0].containers[0].target.cgroupPath)\""))
        print(
            "skiff-stats throttling: periods \(before.periods) → \(after.periods), throttled \(before.throttledPeriods) → \(after.throttledPeriods), "
                + "throttled time \(after.throttledNanoseconds) ns, shares \(container.cpuLimits?.shares ?? 0)")
    }
}

enum RealCgroupHosts {
    static var hierarchy: CgroupHierarchy? { try? CgroupHierarchy.detect() }
    static var hasV1: Bool {
        if case .legacy(let mounts) = hierarchy { return mounts["memory"] != nil && mounts["cpuacct"] != nil && mounts["pids"] != nil }
        return false
    }
    static var hasV2: Bool {
        if case .unified = hierarchy { return true }
        return false
    }
}
