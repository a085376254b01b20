import Foundation
import SkiffCgroups
import SkiffOCI
import Testing

@Suite("cgroup paths, conversions and parsing")
struct CgroupLogicTests {
    @Test(arguments: [
        ("/abs/path", "c1", false, "/user.slice", "/abs/path"),
        ("", "c1", false, "/user.slice", "/user.slice/c1"),
        ("rel/x", "c1", false, "/", "/rel/x"),
        ("/a/../b//c", "c1", false, "/", "/b/c"),
        ("machine-foo.slice:skiff:abc", "c1", true, "/", "/machine.slice/machine-foo.slice/skiff-abc.scope"),
        ("", "c1", true, "/", "/system.slice/skiff-c1.scope"),
    ])
    func cgroupsPathResolvesLikeRunc(configured: String, id: String, systemd: Bool, own: String, expected: String) {
        #expect(CgroupPath.resolve(configured, id: id, systemd: systemd, ownPath: own) == expected)
    }

    @Test func cpuSharesConvertToWeightAsRuncDoes() {
        #expect(CgroupConversion.cpuWeight(shares: 2) == 1)
        #expect(CgroupConversion.cpuWeight(shares: 1024) == 39)
        #expect(CgroupConversion.cpuWeight(shares: 262_144) == 10000)
    }

    @Test func swapAndCPUMaxConvertToV2() {
        #expect(CgroupConversion.swapMax(memorySwap: -1, memoryLimit: 100) == "max")
        #expect(CgroupConversion.swapMax(memorySwap: 300, memoryLimit: 100) == "200")
        #expect(CgroupConversion.cpuMax(quota: 50_000, period: 100_000) == "50000 100000")
        #expect(CgroupConversion.cpuMax(quota: -1, period: nil) == "max 100000")
        #expect(CgroupConversion.cpuMax(quota: nil, period: nil) == nil)
        #expect(CgroupConversion.ioWeight(blkio: 500) == 4950)
    }

    static let hybridMountInfo = """
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        38 31 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
        39 31 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
        40 31 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """

    @Test func hybridHostUsesTheV1Hierarchies() throws {
        let hierarchy = try CgroupHierarchy.detect(mountInfo: Self.hybridMountInfo)
        guard case .legacy(let mounts) = hierarchy else {
            Issue.record("expected legacy, got \(hierarchy)")
            return
        }
        #expect(mounts["memory"] == "/sys/fs/cgroup/memory")
        #expect(mounts["name=systemd"] == "/sys/fs/cgroup/systemd")
        #expect(mounts["pids"] == "/sys/fs/cgroup/pids")
    }

    @Test func pureV2HostUsesTheUnifiedHierarchy() throws {
        let info = "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate"
        #expect(try CgroupHierarchy.detect(mountInfo: info) == .unified(mountPoint: "/sys/fs/cgroup"))
    }

    @Test func ownCgroupIsReadFromProcSelfCgroup() {
        let content = "4:memory:/user.slice/x\n1:cpu,cpuacct:/y\n0::/v2/path\n"
        #expect(CgroupHierarchy.ownPath(controller: "memory", procSelfCgroup: content) == "/user.slice/x")
        #expect(CgroupHierarchy.ownPath(controller: "cpuacct", procSelfCgroup: content) == "/y")
        #expect(CgroupHierarchy.ownPath(controller: nil, procSelfCgroup: content) == "/v2/path")
    }

    @Test func pressureFilesParse() throws {
        let psi = try #require(CgroupFiles.psi("some avg10=1.50 avg60=0.20 avg300=0.00 total=12345\nfull avg10=0.10 avg60=0.00 avg300=0.00 total=678\n"))
        #expect(psi.some.avg10 == 1.5)
        #expect(psi.some.total == 12345)
        #expect(psi.full?.total == 678)
        #expect(CgroupFiles.limit("max\n") == nil)
        #expect(CgroupFiles.limit("9223372036854771712\n") == nil)
        #expect(CgroupFiles.limit("4194304\n") == 4_194_304)
    }
}

/// The drivers against a fake cgroup tree in a temp dir: what they write, and where.
@Suite("cgroup drivers on a fake tree")
struct CgroupFakeTreeTests {
    let root = NSTemporaryDirectory() + "skiff-fake-cgroup-\(UUID().uuidString)"

    func write(_ path: String, _ content: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try content.write(toFile: path, atomically: false, encoding: .utf8)
    }

    func read(_ path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8)
    }

    @Test func v2CreateEnablesControllersOnAncestorsOnly() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write(root + "/cgroup.controllers", "cpu memory pids io\n")
        try write(root + "/cgroup.subtree_control", "")
        try write(root + "/a/cgroup.controllers", "cpu memory pids io\n")
        try write(root + "/a/cgroup.subtree_control", "")
        let cgroup = CgroupV2(mountPoint: root, path: "/a/leaf")
        try cgroup.create()
        #expect(try read(root + "/cgroup.subtree_control") == "+cpu +io +memory +pids")
        #expect(try read(root + "/a/cgroup.subtree_control") == "+cpu +io +memory +pids")
        #expect(FileManager.default.fileExists(atPath: root + "/a/leaf"))
        #expect(!FileManager.default.fileExists(atPath: root + "/a/leaf/cgroup.subtree_control"))
    }

    @Test func v2ApplyWritesV2Units() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        for file in ["memory.max", "memory.low", "memory.swap.max", "cpu.weight", "cpu.max", "pids.max", "io.weight"] {
            try write(root + "/c/" + file, "")
        }
        let cgroup = CgroupV2(mountPoint: root, path: "/c")
        var resources = RuntimeSpec.Resources(
            memory: .init(limit: 1 << 20, reservation: 1 << 19, swap: 2 << 20),
            cpu: .init(shares: 1024, quota: 50_000, period: 100_000), pids: .init(limit: -1))
        resources.blockIO = .init(weight: 500)
        try cgroup.apply(resources)
        // A pids limit of 0 leaves pids.max alone, as runc does (update sends 0 for "unchanged").
        try cgroup.apply(RuntimeSpec.Resources(pids: .init(limit: 0)))
        #expect(try read(root + "/c/memory.max") == "1048576")
        #expect(try read(root + "/c/memory.low") == "524288")
        #expect(try read(root + "/c/memory.swap.max") == "1048576")
        #expect(try read(root + "/c/cpu.weight") == "39")
        #expect(try read(root + "/c/cpu.max") == "50000 100000")
        #expect(try read(root + "/c/pids.max") == "max")
        #expect(try read(root + "/c/io.weight") == "default 4950")
    }

    @Test func v2ApplyRejectsAMissingControllerFile() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/c", withIntermediateDirectories: true)
        let cgroup = CgroupV2(mountPoint: root, path: "/c")
        #expect(throws: (any Error).self) { try cgroup.apply(.init(pids: .init(limit: 5))) }
    }

    @Test func v1ApplyWritesPerControllerFiles() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        for (controller, file) in [
            ("memory", "memory.limit_in_bytes"), ("cpu", "cpu.shares"), ("cpu", "cpu.cfs_quota_us"),
            ("cpu", "cpu.cfs_period_us"), ("pids", "pids.max"),
        ] {
            try write("\(root)/\(controller)/c/\(file)", "")
        }
        let cgroup = CgroupV1(mountPoints: ["memory": root + "/memory", "cpu": root + "/cpu", "pids": root + "/pids"], path: "/c")
        try cgroup.apply(
            .init(
                memory: .init(limit: 4 << 20), cpu: .init(shares: 512, quota: 20_000, period: 100_000),
                pids: .init(limit: 42)))
        #expect(try read(root + "/memory/c/memory.limit_in_bytes") == "4194304")
        #expect(try read(root + "/cpu/c/cpu.shares") == "512")
        #expect(try read(root + "/cpu/c/cpu.cfs_quota_us") == "20000")
        #expect(try read(root + "/cpu/c/cpu.cfs_period_us") == "100000")
        #expect(try read(root + "/pids/c/pids.max") == "42")
    }

    @Test func v2StatsReadAccountingAndOOMKills() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write(root + "/c/cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n")
        try write(root + "/c/memory.current", "10485760\n")
        try write(root + "/c/memory.max", "max\n")
        try write(root + "/c/memory.stat", "anon 4096\nfile 8192\ninactive_file 4096\n")
        try write(root + "/c/memory.events", "low 0\nhigh 0\nmax 3\noom 2\noom_kill 1\n")
        try write(root + "/c/pids.current", "3\n")
        try write(root + "/c/pids.max", "10\n")
        try write(root + "/c/memory.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=10\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=5\n")
        let stats = try CgroupV2(mountPoint: root, path: "/c").stats()
        #expect(stats.cpu.usage.total == 1_500_000)
        #expect(stats.memory.usage.usage == 10_485_760)
        #expect(stats.memory.usage.limit == nil)
        #expect(stats.memory.workingSet == 10_485_760 - 4096)
        #expect(stats.memory.oomKill == 1)
        #expect(stats.pids.current == 3 && stats.pids.limit == 10)
        #expect(stats.pressure?.memory?.full?.total == 5)
    }
}
