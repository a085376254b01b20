import Glibc
import SkiffCgroups
import SkiffSystem

/// Reads the node-wide numbers from /proc (a directory that tests replace with a fake one).
public struct NodeReader: Sendable {
    public var procRoot: String
    public var rootFilesystem: String
    public var imageFilesystem: String?

    public init(procRoot: String = "/proc", rootFilesystem: String = "/", imageFilesystem: String? = nil) {
        (self.procRoot, self.rootFilesystem, self.imageFilesystem) = (procRoot, rootFilesystem, imageFilesystem)
    }

    /// Fails only when /proc/stat or /proc/meminfo cannot be read; the optional parts
    /// (pressure, network, file systems, pid_max) are left nil when missing.
    public func read() throws -> NodeSample {
        var sample = NodeSample()
        try readCPU(into: &sample)
        try readMemory(into: &sample)
        sample.pressure = PressureStats(CgroupFiles.pressure(in: procRoot + "/pressure", suffix: ""))
        sample.filesystem = try? Self.filesystem(rootFilesystem)
        sample.imageFilesystem = imageFilesystem.flatMap { try? Self.filesystem($0) }
        sample.network = Self.network(
            procNetDev: try? FileSystem.readString(procRoot + "/net/dev"),
            route: try? FileSystem.readString(procRoot + "/net/route"))
        sample.maxPID = (try? FileSystem.readString(procRoot + "/sys/kernel/pid_max")).flatMap { Int64(Self.trimmed($0)) }
        // "0.52 0.58 0.59 2/731 12345": the fourth field's total is the kernel's task count,
        // the number sysinfo(2) reports as procs and the kubelet as curproc.
        if let loadavg = try? FileSystem.readString(procRoot + "/loadavg") {
            let fields = loadavg.split(separator: " ")
            if fields.count > 3, let total = fields[3].split(separator: "/").last { sample.processCount = Int64(total) }
        }
        return sample
    }

    private func readCPU(into sample: inout NodeSample) throws {
        let stat = try FileSystem.readString(procRoot + "/stat")
        let ticksPerSecond = UInt64(max(sysconf(Int32(_SC_CLK_TCK)), 1))
        for line in stat.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.first == "cpu" {
                // user nice system idle iowait irq softirq steal guest guest_nice; guest time is
                // already inside user and nice.
                let values = fields.dropFirst().map { UInt64($0) ?? 0 }
                let busy = [0, 1, 2, 5, 6, 7].reduce(UInt64(0)) { $0 + ($1 < values.count ? values[$1] : 0) }
                sample.cpuUsageCoreNanoseconds = busy * (1_000_000_000 / ticksPerSecond)
            } else if fields.first == "btime", fields.count == 2, let boot = Int64(fields[1]) {
                sample.bootTime = StatsTime(seconds: boot)
            }
        }
    }

    private func readMemory(into sample: inout NodeSample) throws {
        let meminfo = Self.kilobyteValues(try FileSystem.readString(procRoot + "/meminfo"))
        guard let total = meminfo["MemTotal"], let free = meminfo["MemFree"] else {
            throw RuntimeError("\(procRoot)/meminfo has no MemTotal/MemFree lines")
        }
        sample.memoryTotalBytes = total
        sample.memoryUsageBytes = total > free ? total - free : 0
        let inactiveFile = meminfo["Inactive(file)"] ?? 0
        sample.memoryWorkingSetBytes = sample.memoryUsageBytes > inactiveFile ? sample.memoryUsageBytes - inactiveFile : 0
        sample.memoryAvailableBytes = total - sample.memoryWorkingSetBytes
        sample.memoryRSSBytes = meminfo["AnonPages"] ?? 0
        sample.swapTotalBytes = meminfo["SwapTotal"] ?? 0
        let swapFree = meminfo["SwapFree"] ?? 0
        sample.swapUsageBytes = sample.swapTotalBytes > swapFree ? sample.swapTotalBytes - swapFree : 0
        let vmstat = CgroupFiles.keyValues((try? FileSystem.readString(procRoot + "/vmstat")) ?? "")
        sample.pageFaults = vmstat["pgfault"] ?? 0
        sample.majorPageFaults = vmstat["pgmajfault"] ?? 0
    }

    /// "MemTotal:       16318412 kB" → bytes.
    static func kilobyteValues(_ content: String) -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        for line in content.split(separator: "\n") {
            let halves = line.split(separator: ":", maxSplits: 1)
            guard halves.count == 2 else { continue }
            let fields = halves[1].split(separator: " ")
            guard let value = fields.first.flatMap({ UInt64($0) }) else { continue }
            result[String(halves[0])] = fields.count > 1 && fields[1] == "kB" ? value * 1024 : value
        }
        return result
    }

    /// statvfs(2) of `path`.
    public static func filesystem(_ path: String) throws -> FilesystemSample {
        var info = statvfs()
        try sys("statvfs", path.quoted) { statvfs(path, &info) }
        let unit = UInt64(info.f_frsize)
        return FilesystemSample(
            capacityBytes: UInt64(info.f_blocks) * unit, availableBytes: UInt64(info.f_bavail) * unit,
            usedBytes: (UInt64(info.f_blocks) - UInt64(info.f_bfree)) * unit,
            inodes: UInt64(info.f_files), inodesFree: UInt64(info.f_ffree))
    }

    /// Parses /proc/net/dev (and /proc/net/route for the default interface); nil without input.
    public static func network(procNetDev: String?, route: String?) -> NetworkSample? {
        guard let procNetDev else { return nil }
        var interfaces: [NetworkSample.Interface] = []
        for line in procNetDev.split(separator: "\n") {
            let halves = line.split(separator: ":", maxSplits: 1)
            guard halves.count == 2 else { continue }
            let name = trimmed(halves[0])
            let values = halves[1].split(separator: " ").map { UInt64($0) ?? 0 }
            // rx: bytes packets errs drop fifo frame compressed multicast; tx: bytes packets errs …
            guard name != "lo", values.count >= 12 else { continue }
            interfaces.append(
                .init(
                    name: name, rxBytes: values[0], rxErrors: values[2], txBytes: values[8], txErrors: values[10],
                    rxPackets: values[1], rxDropped: values[3], txPackets: values[9], txDropped: values[11]))
        }
        var defaultName: String?
        for line in (route ?? "").split(separator: "\n").dropFirst() {
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            if fields.count > 2, fields[1] == "00000000" {
                defaultName = String(fields[0])
                break
            }
        }
        return NetworkSample(interfaces: interfaces, defaultName: defaultName)
    }

    static func trimmed(_ text: some StringProtocol) -> String {
        var view = Substring(text)
        while let first = view.first, first.isWhitespace { view = view.dropFirst() }
        while let last = view.last, last.isWhitespace { view = view.dropLast() }
        return String(view)
    }
}
