import Foundation
import SkiffJSON
import Testing

@testable import SkiffStats

/// The Summary's JSON, parsed back: the key names and shapes the kubelet's stats/v1alpha1 has.
@Suite("Summary JSON (stats/v1alpha1)")
struct SummaryJSONTests {
    func snapshot() throws -> (StatsSnapshot, FakeTree) {
        let tree = try FakeTree()
        let proc = try FakeProc(tree)
        try proc.writePressure()
        let container = CgroupSamplerTests()
        try container.writeV2Container(tree, path: "pod", usageMicros: 1_000_000)
        try container.writeV2Container(tree, path: "pod/app", usageMicros: 1_000_000)
        try tree.write("pod/exited/cpu.stat", "usage_usec 1\n")
        let sampler = StatsSampler(hierarchy: .unified(mountPoint: tree.root), node: NodeReader(procRoot: proc.root, imageFilesystem: "/"))
        let pod = PodStatsTarget(
            namespace: "default", name: "web", uid: "u-1", cgroupPath: "/pod",
            containers: [
                ContainerStatsTarget(name: "app", cgroupPath: "/pod/app", startTime: StatsTime(seconds: 1_790_000_100)),
                ContainerStatsTarget(name: "gone", cgroupPath: "/pod/gone", startTime: StatsTime(seconds: 1_790_000_050)),
            ])
        let system = [SystemContainerTarget(name: "pods", cgroupPath: "/pod", startTime: StatsTime(seconds: 1_790_000_000))]
        _ = sampler.sample([pod], systemContainers: system, clock: clock(second: 0))
        try container.writeV2Container(tree, path: "pod/app", usageMicros: 1_100_000)
        return (sampler.sample([pod], systemContainers: system, clock: clock(second: 1)), tree)
    }

    func parse(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test("node carries nodeName, startTime, cpu, memory, io psi, fs, runtime.imageFs, rlimit, network")
    func nodeShape() throws {
        let (snapshot, tree) = try snapshot()
        defer { tree.remove() }
        let json = try parse(Summary(snapshot: snapshot, nodeName: "n1").jsonText)
        let node = try #require(json["node"] as? [String: Any])
        #expect(node["nodeName"] as? String == "n1")
        #expect(node["startTime"] as? String == "2026-09-21T14:13:20Z")
        let cpu = try #require(node["cpu"] as? [String: Any])
        #expect(Set(cpu.keys) == ["time", "usageNanoCores", "usageCoreNanoSeconds", "psi"])
        #expect(cpu["time"] as? String == "2026-09-21T14:13:21Z")
        let memory = try #require(node["memory"] as? [String: Any])
        #expect(Set(memory.keys) == ["time", "availableBytes", "usageBytes", "workingSetBytes", "rssBytes", "pageFaults", "majorPageFaults", "psi"])
        #expect((memory["workingSetBytes"] as? NSNumber)?.uint64Value == 5_000_000 * 1024)
        let psi = try #require(memory["psi"] as? [String: Any])
        let some = try #require(psi["some"] as? [String: Any])
        #expect(Set(some.keys) == ["total", "avg10", "avg60", "avg300"])
        #expect((some["avg10"] as? NSNumber)?.doubleValue == 0.1)
        #expect(((node["io"] as? [String: Any])?["psi"] as? [String: Any])?["full"] != nil)
        let fs = try #require(node["fs"] as? [String: Any])
        #expect(Set(fs.keys) == ["time", "availableBytes", "capacityBytes", "usedBytes", "inodesFree", "inodes", "inodesUsed"])
        #expect((node["runtime"] as? [String: Any])?["imageFs"] != nil)
        let rlimit = try #require(node["rlimit"] as? [String: Any])
        #expect((rlimit["maxpid"] as? NSNumber)?.intValue == 4_194_304 && (rlimit["curproc"] as? NSNumber)?.intValue == 731)
        let network = try #require(node["network"] as? [String: Any])
        #expect(network["name"] as? String == "ens4", "the default interface's fields are inline")
        #expect((network["interfaces"] as? [[String: Any]])?.count == 2)
        #expect(node["swap"] == nil, "no swap on the fake node")
        let system = try #require(node["systemContainers"] as? [[String: Any]])
        #expect(system.first?["name"] as? String == "pods")
    }

    @Test("pods carry podRef, startTime, containers, cpu, memory, process_stats; a gone container keeps only name and startTime")
    func podShape() throws {
        let (snapshot, tree) = try snapshot()
        defer { tree.remove() }
        let json = try parse(Summary(snapshot: snapshot, nodeName: "n1").jsonText)
        let pod = try #require((json["pods"] as? [[String: Any]])?.first)
        let ref = try #require(pod["podRef"] as? [String: String])
        #expect(ref == ["name": "web", "namespace": "default", "uid": "u-1"])
        #expect(pod["startTime"] as? String == "2026-09-21T14:14:10Z", "earliest container start")
        #expect(((pod["process_stats"] as? [String: Any])?["process_count"] as? NSNumber)?.intValue == 3)
        #expect(((pod["memory"] as? [String: Any])?["workingSetBytes"] as? NSNumber)?.uint64Value == 104_857_600 - 31_457_280)
        #expect(pod["io"] != nil)
        let containers = try #require(pod["containers"] as? [[String: Any]])
        #expect(containers.map { $0["name"] as? String } == ["app", "gone"])
        let cpu = try #require(containers[0]["cpu"] as? [String: Any])
        #expect((cpu["usageNanoCores"] as? NSNumber)?.uint64Value == 100_000_000)
        #expect((cpu["usageCoreNanoSeconds"] as? NSNumber)?.uint64Value == 1_100_000_000)
        #expect(((cpu["psi"] as? [String: Any])?["some"] as? [String: Any])?["total"] as? NSNumber == 123_456)
        let memory = try #require(containers[0]["memory"] as? [String: Any])
        #expect((memory["availableBytes"] as? NSNumber)?.uint64Value == 209_715_200 - (104_857_600 - 31_457_280))
        #expect(Set(containers[1].keys) == ["name", "startTime"])
    }

    @Test("the first sample has no usageNanoCores key at all (omitempty), not 0")
    func firstSampleOmitsNanoCores() throws {
        let tree = try FakeTree()
        defer { tree.remove() }
        let proc = try FakeProc(tree)
        try tree.write("c/cpu.stat", "usage_usec 5\n")
        let sampler = StatsSampler(hierarchy: .unified(mountPoint: tree.root), node: proc.reader)
        let pod = PodStatsTarget(namespace: "n", name: "p", uid: "u", cgroupPath: "/c", containers: [])
        let json = try parse(Summary(snapshot: sampler.sample([pod], clock: clock(second: 0)), nodeName: "n").jsonText)
        let pod0 = try #require((json["pods"] as? [[String: Any]])?.first)
        let cpu = try #require(pod0["cpu"] as? [String: Any])
        #expect(cpu["usageNanoCores"] == nil && cpu["usageCoreNanoSeconds"] != nil)
        #expect((pod0["containers"] as? [Any])?.isEmpty == true, "containers is [] even when empty")
        #expect(((json["node"] as? [String: Any])?["cpu"] as? [String: Any])?["psi"] == nil, "no /proc/pressure: no psi key")
    }

    @Test("strings are escaped and timestamps are RFC 3339 UTC")
    func escapingAndTime() throws {
        #expect(JSON.string("a\"b\\c\nd\u{1}").serialized == #""a\"b\\c\nd\u0001""#)
        #expect(StatsTime(seconds: 0).rfc3339 == "1970-01-01T00:00:00Z")
        #expect(StatsTime(seconds: 1_700_000_000, nanoseconds: 999_999_999).rfc3339 == "2023-11-14T22:13:20Z")
        #expect(JSON.double(0.5).serialized == "0.5" && JSON.double(3).serialized == "3")
    }

    @Test("counters above Int64.max print exactly, whole averages without a fraction, NaN as 0")
    func numbers() throws {
        var node = Summary.NodeStats(nodeName: "n", startTime: StatsTime(seconds: 0))
        let psi = PSIStats(some: PSIData(total: UInt64.max, avg10: .nan, avg60: 2, avg300: 0.25), full: PSIData())
        node.memory = Summary.MemoryStats(time: StatsTime(seconds: 1), availableBytes: UInt64.max, usageBytes: 0, psi: psi)
        node.rlimit = Summary.RlimitStats(time: StatsTime(seconds: 1), maxpid: -1)
        let text = Summary(node: node, pods: []).jsonText
        #expect(text.contains(#""availableBytes":18446744073709551615,"#))
        #expect(text.contains(#""some":{"avg10":0,"avg300":0.25,"avg60":2,"total":18446744073709551615}"#))
        #expect(text.contains(#""maxpid":-1,"#) && !text.contains("curproc"))
        #expect(text.contains(#""usageBytes":0}"#) && !text.contains("rssBytes"))
        #expect(try JSON(parsing: Array(text.utf8), exactIntegers: true)["node"]["memory"]["availableBytes"] == .uint(UInt64.max))
    }
}
