import SkiffCgroups
import SkiffStats
import Testing

/// The sampler against fake cgroup trees: the files are what the kernel writes, the numbers
/// are chosen so each derived value has one right answer.
@Suite("sampler on fake cgroup trees")
struct CgroupSamplerTests {
    static let v2Pod = "kubepods/burstable/pod1234"

    /// A v2 cgroup: 100 MiB used, 30 MiB of it inactive file cache, 200 MiB limit, 2 OOM kills.
    func writeV2Container(_ tree: FakeTree, path: String, usageMicros: UInt64, pressure: Bool = true) throws {
        try tree.write(path + "/cpu.stat", "usage_usec \(usageMicros)\nuser_usec 1\nsystem_usec 2\n")
        try tree.write(path + "/memory.current", "104857600\n")
        try tree.write(path + "/memory.max", "209715200\n")
        try tree.write(path + "/memory.stat", "anon 52428800\nfile 41943040\ninactive_file 31457280\npgfault 1000\npgmajfault 7\n")
        try tree.write(path + "/memory.events", "low 0\nhigh 0\nmax 4\noom 2\noom_kill 2\n")
        try tree.write(path + "/pids.current", "3\n")
        try tree.write(path + "/cgroup.procs", "101\n102\n103\n")
        try tree.write(
            path + "/io.stat", "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n259:0 rbytes=100 wbytes=0 rios=3 wios=0 dbytes=0 dios=0\n")
        if pressure {
            try tree.write(path + "/cpu.pressure", "some avg10=1.50 avg60=0.75 avg300=0.10 total=123456\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=789\n")
            try tree.write(
                path + "/memory.pressure", "some avg10=12.34 avg60=5.00 avg300=1.00 total=2000000\nfull avg10=10.00 avg60=4.00 avg300=0.50 total=1000000\n")
            try tree.write(path + "/io.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=42\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=40\n")
        }
    }

    func v1Mounts(_ tree: FakeTree) -> [String: String] {
        Dictionary(uniqueKeysWithValues: ["cpu", "cpuacct", "memory", "pids", "blkio"].map { ($0, tree.root + "/" + $0) })
    }

    func writeV1Container(_ tree: FakeTree, path: String, usageNanos: UInt64) throws {
        try tree.write("cpuacct/\(path)/cpuacct.usage", "\(usageNanos)\n")
        try tree.write("cpuacct/\(path)/cpuacct.stat", "user 10\nsystem 5\n")
        try tree.write("memory/\(path)/memory.usage_in_bytes", "73400320\n")
        try tree.write("memory/\(path)/memory.limit_in_bytes", "9223372036854771712\n")
        try tree.write(
            "memory/\(path)/memory.stat",
            "cache 100\nrss 200\ninactive_file 5\npgfault 3\ntotal_cache 20971520\ntotal_rss 41943040\n"
                + "total_inactive_file 10485760\ntotal_pgfault 555\ntotal_pgmajfault 6\n")
        try tree.write("memory/\(path)/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n")
        try tree.write("pids/\(path)/pids.current", "2\n")
        try tree.write(
            "blkio/\(path)/blkio.throttle.io_service_bytes_recursive",
            "8:0 Read 4096\n8:0 Write 12288\n8:0 Sync 0\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 16384\nTotal 16384\n")
        try tree.write(
            "blkio/\(path)/blkio.throttle.io_serviced_recursive",
            "8:0 Read 1\n8:0 Write 3\n8:0 Sync 0\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 4\nTotal 4\n")
    }

    @Test("v2: working set is usage minus inactive_file; rss, faults, pids, OOM kills and io come from their files")
    func v2Memory() throws {
        let tree = try FakeTree()
        defer { tree.remove() }
        try writeV2Container(tree, path: "pod/c1", usageMicros: 5)
        let sample = try CgroupReader(hierarchy: .unified(mountPoint: tree.root)).read("/pod/c1")
        #expect(sample.memoryUsageBytes == 104_857_600)
        #expect(sample.memoryWorkingSetBytes == 104_857_600 - 31_457_280)
        #expect(sample.memoryRSSBytes == 52_428_800)
        #expect(sample.memoryLimitBytes == 209_715_200)
        #expect(sample.memoryAvailableBytes == 209_715_200 - (104_857_600 - 31_457_280))
        #expect(sample.pageFaults == 1000 && sample.majorPageFaults == 7)
        #expect(sample.threadCount == 3)
        #expect(sample.processCount == 0, "processes are counted only when asked (containers)")
        #expect(sample.oomKills == 2)
        #expect(sample.cpuUsageCoreNanoseconds == 5000)
        let io = try #require(sample.io)
        #expect(io.devices.map(\.name) == ["8:0", "259:0"])
        #expect(io.readBytes == 4196 && io.writeBytes == 8192 && io.reads == 4 && io.writes == 2)
    }

    @Test("v2: PSI some/full avg10/avg60/avg300/total are parsed for cpu, memory and io")
    func v2Pressure() throws {
        let tree = try FakeTree()
        defer { tree.remove() }
        try writeV2Container(tree, path: "c1", usageMicros: 5)
        let pressure = try #require(try CgroupReader(hierarchy: .unified(mountPoint: tree.root)).read("/c1").pressure)
        #expect(
            pressure.cpu
                == PSIStats(
                    some: PSIData(total: 123_456, avg10: 1.5, avg60: 0.75, avg300: 0.1),
                    full: PSIData(total: 789)))
        #expect(pressure.memory?.some.avg10 == 12.34)
        #expect(pressure.memory?.full.total == 1_000_000)
        #expect(pressure.io?.some.total == 42 && pressure.io?.full.total == 40)
    }

    @Test("v2: a cgroup without pressure, io or pids files reports them absent, not zero-filled PSI")
    func v2MissingFilesAreOmitted() throws {
        let tree = try FakeTree()
        defer { tree.remove() }
        try tree.write("c1/cpu.stat", "usage_usec 10\n")
        try tree.write("c1/memory.current", "4096\n")
        let sample = try CgroupReader(hierarchy: .unified(mountPoint: tree.root)).read("/c1")
        #expect(sample.pressure == nil)
        #expect(sample.io == nil)
        #expect(sample.memoryLimitBytes == nil && sample.memoryAvailableBytes == nil)
        #expect(sample.memoryWorkingSetBytes == 4096)
        #expect(sample.processCount == 0 && sample.threadCount == 0 && sample.oomKills == 0)
        #expect(sample.cpuThrottling == nil && sample.cpuLimits == nil, "no cpu.stat nr_periods, no cpu.max/weight: no CFS numbers")
    }

    @Test("v2: a cpu.pressure with only a some line gets a zero full (pre-5.13 kernels)")
    func v2SomeOnlyPressure() throws {
        let tree = try FakeTree()
        defer { tree.remove() }
        try tree.write("c1/cpu.stat", "usage_usec 10\n")
        try tree.write("c1/cpu.pressure", "some avg10=2.00 avg60=1.00 avg300=0.50 total=99\n")
        let pressure = try #require(try CgroupReader(hierarchy: .unified(mountPoint: tree.root)).read("/c1").pressure)
        #expect(pressure.cpu == PSIStats(some: PSIData(total: 99, avg10: 2, avg60: 1, avg300: 0.5), full: PSIData()))
        #expect(pressure.memory == nil && pressure.io == nil)
    }

    @Test("v1: working set is usage minus total_inactive_file; rss is total_rss; OOM kills from memory.oom_control; blkio")
    func v1Memory() throws {
        let tree = try FakeTree()
        defer { tree.remove() }
        try writeV1Container(tree, path: "kubepods/pod1/c1", usageNanos: 777)
        let sample = try CgroupReader(hierarchy: .legacy(mountPoints: v1Mounts(tree))).read("/kubepods/pod1/c1")
        #expect(sample.cpuUsageCoreNanoseconds == 777)
        #expect(sample.memoryUsageBytes == 73_400_320)
        #expect(sample.memoryWorkingSetBytes == 73_400_320 - 10_485_760)
        #expect(sample.memoryRSSBytes == 41_943_040)
        #expect(sample.memoryLimitBytes == nil, "v1's 'unlimited' (~2^63) must read as no limit")
        #expect(sample.pageFaults == 555 && sample.majorPageFaults == 6)
        #expect(sample.oomKills == 3)
        #expect(sample.threadCount == 2)
        #expect(sample.io == CgroupIOStats(devices: [.init(major: 8, minor: 0, readBytes: 4096, writeBytes: 12288, reads: 1, writes: 3)]))
        #expect(sample.pressure == nil, "v1 without psi_v1 has no pressure files")
    }

    @Test("working set never goes below zero when inactive_file exceeds usage")
    func workingSetClampsAtZero() throws {
        let tree = try FakeTree()
        defer { tree.remove() }
        try tree.write("c1/memory.current", "100\n")
        try tree.write("c1/memory.stat", "inactive_file 4096\n")
        #expect(try CgroupReader(hierarchy: .unified(mountPoint: tree.root)).read("/c1").memoryWorkingSetBytes == 0)
    }

    @Test("usageNanoCores: nil on the first sample, delta/elapsed on the second, reused inside the minimum window")
    func nanoCoresFromTwoSamples() throws {
        let tree = try FakeTree()
        defer { tree.remove() }
        let proc = try FakeProc(tree)
        let containerPath = Self.v2Pod + "/c1"
        try writeV2Container(tree, path: Self.v2Pod, usageMicros: 1_000_000)
        try writeV2Container(tree, path: containerPath, usageMicros: 1_000_000)
        let sampler = StatsSampler(hierarchy: .unified(mountPoint: tree.root + "/"), node: proc.reader)
        let pod = PodStatsTarget(
            namespace: "default", name: "web", uid: "1234", cgroupPath: "/" + Self.v2Pod,
            containers: [ContainerStatsTarget(name: "app", cgroupPath: "/" + containerPath, startTime: StatsTime(seconds: 100))])
        let first = sampler.sample([pod], clock: clock(second: 0))
        #expect(first.errors.isEmpty)
        #expect(first.pods[0].containers[0].stats?.cpuUsageNanoCores == nil)
        #expect(first.pods[0].containers[0].stats?.cpuUsageCoreNanoseconds == 1_000_000_000)

        // 0.5 s of CPU over 2 s: a quarter core.
        try writeV2Container(tree, path: containerPath, usageMicros: 1_500_000)
        try writeV2Container(tree, path: Self.v2Pod, usageMicros: 3_000_000)
        try proc.writeStat(busyTicks: 1300)
        let second = sampler.sample([pod], clock: clock(second: 2))
        #expect(second.pods[0].containers[0].stats?.cpuUsageNanoCores == 250_000_000)
        #expect(second.pods[0].stats?.cpuUsageNanoCores == 1_000_000_000)
        // Node: 300 ticks of 10 ms over 2 s = 1.5 cores.
        #expect(second.node?.cpuUsageNanoCores == 1_500_000_000)

        // 100 ms later the delta would be noise: the last rate stands.
        try writeV2Container(tree, path: containerPath, usageMicros: 1_600_000)
        let third = sampler.sample([pod], clock: SampleClock(wall: StatsTime(seconds: 1_790_000_002), monotonicNanoseconds: 7_100_000_000))
        #expect(third.pods[0].containers[0].stats?.cpuUsageNanoCores == 250_000_000)
    }

    @Test("a cgroup whose usage went down (recreated under the same path) starts a new baseline")
    func usageResetStartsOver() throws {
        let tree = try FakeTree()
        defer { tree.remove() }
        let proc = try FakeProc(tree)
        try writeV2Container(tree, path: "c1", usageMicros: 9_000_000)
        let sampler = StatsSampler(hierarchy: .unified(mountPoint: tree.root), node: proc.reader)
        let pod = PodStatsTarget(
            namespace: "ns", name: "p", uid: "u", cgroupPath: "/c1",
            containers: [ContainerStatsTarget(name: "c", cgroupPath: "/c1", startTime: StatsTime(seconds: 1))])
        _ = sampler.sample([pod], clock: clock(second: 0))
        try writeV2Container(tree, path: "c1", usageMicros: 10)
        #expect(sampler.sample([pod], clock: clock(second: 5)).pods[0].stats?.cpuUsageNanoCores == nil)
    }

    @Test("a container whose cgroup is gone has no stats and is not a scrape error")
    func missingContainerCgroup() throws {
        let tree = try FakeTree()
        defer { tree.remove() }
        let proc = try FakeProc(tree)
        try writeV2Container(tree, path: "pod", usageMicros: 1)
        let sampler = StatsSampler(hierarchy: .unified(mountPoint: tree.root), node: proc.reader)
        let pod = PodStatsTarget(
            namespace: "ns", name: "p", uid: "u", cgroupPath: "/pod",
            containers: [ContainerStatsTarget(name: "gone", cgroupPath: "/pod/gone", startTime: StatsTime(seconds: 1))])
        let snapshot = sampler.sample([pod], clock: clock(second: 0))
        #expect(snapshot.pods[0].stats != nil)
        #expect(snapshot.pods[0].containers[0].stats == nil)
        #expect(snapshot.errors.isEmpty)
    }

    @Test("reading a cgroup that does not exist names it in the error")
    func readMissingCgroupThrows() {
        #expect(throws: (any Error).self) { try CgroupReader(hierarchy: .unified(mountPoint: "/nonexistent-skiff")).read("/x") }
        do {
            _ = try CgroupReader(hierarchy: .unified(mountPoint: "/nonexistent-skiff")).read("/x")
        } catch {
            #expect("\(error)".contains("/x"))
        }
    }
}
