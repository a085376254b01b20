import SkiffStats
import Testing

@Suite("skiff pods table")
struct PodsTableTests {
    @Test("columns: cores with 3 decimals, working set in MiB, pids, OOM kills, memory PSI some avg10 or -")
    func render() {
        var busy = CgroupSample()
        busy.cpuUsageNanoCores = 12_345_678
        busy.memoryWorkingSetBytes = 3 * 1_048_576 + 524_288
        busy.threadCount = 4
        busy.oomKills = 1
        busy.pressure = PressureStats(memory: PSIStats(some: PSIData(avg10: 0.5), full: PSIData()))
        var fresh = CgroupSample()
        fresh.memoryWorkingSetBytes = 1_048_576
        let text = PodsTable.render([
            .init(pod: "web-1", namespace: "default", container: "app", state: "Running", cgroup: "/kubepods/pod1/a", stats: busy),
            .init(pod: "web-1", namespace: "default", container: "sidecar", state: "Running", cgroup: "/kubepods/pod1/b", stats: fresh),
            .init(pod: "job", namespace: "batch", container: "run", state: "Exited", cgroup: "/kubepods/pod2/c", stats: nil),
        ])
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines[0].split(separator: " ") == ["POD", "NAMESPACE", "CONTAINER", "STATE", "CGROUP", "CPU", "MEMORY", "PIDS", "OOM", "PSI"])
        #expect(lines[1].split(separator: " ") == ["web-1", "default", "app", "Running", "/kubepods/pod1/a", "0.012", "3.5", "4", "1", "0.50"])
        #expect(lines[2].split(separator: " ") == ["web-1", "default", "sidecar", "Running", "/kubepods/pod1/b", "-", "1.0", "0", "0", "-"])
        #expect(lines[3].split(separator: " ") == ["job", "batch", "run", "Exited", "/kubepods/pod2/c", "-", "-", "-", "-", "-"])
        // Columns line up: CGROUP starts at the same offset on every line.
        let offsets = lines.map { $0.range(of: "/kubepods")?.lowerBound.utf16Offset(in: $0) ?? $0.range(of: "CGROUP")!.lowerBound.utf16Offset(in: $0) }
        #expect(Set(offsets).count == 1)
    }

    @Test("rows come from a snapshot with the agent's state for each container")
    func rowsFromSnapshot() {
        let pod = PodStatsTarget(
            namespace: "ns", name: "p", uid: "u1", cgroupPath: "/p",
            containers: [
                ContainerStatsTarget(name: "a", cgroupPath: "/p/a", startTime: StatsTime(seconds: 1))
            ])
        let snapshot = StatsSnapshot(
            clock: clock(second: 0), node: nil,
            pods: [
                PodSample(target: pod, stats: nil, containers: [ContainerSample(target: pod.containers[0], stats: CgroupSample())])
            ])
        let rows = PodsTable.rows(snapshot) { uid, name in "\(uid)/\(name)" }
        #expect(rows == [.init(pod: "p", namespace: "ns", container: "a", state: "u1/a", cgroup: "/p/a", stats: CgroupSample())])
    }
}
