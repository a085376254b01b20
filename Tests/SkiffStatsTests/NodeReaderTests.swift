import SkiffStats
import Testing

@Suite("node-level stats from /proc")
struct NodeReaderTests {
    @Test("memory: usage = MemTotal − MemFree, working set = usage − Inactive(file), available = total − working set")
    func memoryFromMeminfo() throws {
        let tree = try FakeTree()
        defer { tree.remove() }
        let node = try FakeProc(tree).reader.read()
        #expect(node.memoryTotalBytes == 8_000_000 * 1024)
        #expect(node.memoryUsageBytes == 6_000_000 * 1024)
        #expect(node.memoryWorkingSetBytes == 5_000_000 * 1024)
        #expect(node.memoryAvailableBytes == 3_000_000 * 1024)
        #expect(node.memoryRSSBytes == 3_000_000 * 1024)
        #expect(node.pageFaults == 4242 && node.majorPageFaults == 17)
    }

    @Test("cpu counts user+nice+system+irq+softirq+steal ticks, not idle, iowait or guest; btime is the start")
    func cpuFromProcStat() throws {
        let tree = try FakeTree()
        defer { tree.remove() }
        let node = try FakeProc(tree).reader.read()
        #expect(node.cpuUsageCoreNanoseconds == 1000 * 10_000_000)
        #expect(node.bootTime == StatsTime(seconds: 1_790_000_000))
    }

    @Test("rlimit and network: pid_max, loadavg's task total, /proc/net/dev without lo, default route's interface")
    func rlimitAndNetwork() throws {
        let tree = try FakeTree()
        defer { tree.remove() }
        let node = try FakeProc(tree).reader.read()
        #expect(node.maxPID == 4_194_304)
        #expect(node.processCount == 731)
        let network = try #require(node.network)
        #expect(network.interfaces.map(\.name) == ["eth0", "ens4"])
        #expect(
            network.defaultInterface
                == .init(name: "ens4", rxBytes: 3000, rxErrors: 0, txBytes: 4000, txErrors: 0, rxPackets: 30, rxDropped: 0, txPackets: 40, txDropped: 0))
        #expect(
            network.interfaces[0]
                == .init(name: "eth0", rxBytes: 1000, rxErrors: 1, txBytes: 2000, txErrors: 2, rxPackets: 10, rxDropped: 0, txPackets: 20, txDropped: 0))
    }

    @Test("node PSI comes from /proc/pressure when present and is nil when it is not")
    func nodePressure() throws {
        let tree = try FakeTree()
        defer { tree.remove() }
        let proc = try FakeProc(tree)
        #expect(try proc.reader.read().pressure == nil)
        try proc.writePressure()
        let pressure = try #require(try proc.reader.read().pressure)
        #expect(pressure.cpu?.some == PSIData(total: 500, avg10: 3, avg60: 2, avg300: 1))
        #expect(pressure.memory?.full.total == 60)
        #expect(pressure.io?.full.avg10 == 1)
    }

    @Test("the root file system's statvfs matches df's numbers")
    func rootFilesystem() throws {
        let fs = try NodeReader.filesystem("/")
        #expect(fs.capacityBytes > 0)
        #expect(fs.availableBytes <= fs.capacityBytes)
        #expect(fs.usedBytes <= fs.capacityBytes)
        #expect(fs.inodes >= fs.inodesFree)
    }

    @Test("a missing /proc/meminfo fails with the path in the message")
    func missingMeminfo() throws {
        let tree = try FakeTree()
        defer { tree.remove() }
        try tree.write("proc/stat", "cpu 1 2 3 4 5 6 7 8 9 0\n")
        #expect { try NodeReader(procRoot: tree.root + "/proc").read() } throws: { "\($0)".contains("meminfo") }
    }

    @Test("the real /proc of this host reads")
    func realProc() throws {
        let node = try NodeReader().read()
        #expect(node.memoryTotalBytes > 0 && node.memoryWorkingSetBytes > 0 && node.memoryWorkingSetBytes <= node.memoryTotalBytes)
        #expect(node.cpuUsageCoreNanoseconds > 0)
        #expect(node.bootTime.seconds > 1_000_000_000)
        #expect(node.filesystem != nil)
        #expect((node.maxPID ?? 0) > 0 && (node.processCount ?? 0) > 0)
    }
}
