import SkiffCgroups
import SkiffJSON
import SkiffStats
import Testing

/// The node's history: the ring (wraparound, gaps, bounds), 10 s points from counter deltas,
/// the fold into 1 min points, and the JSON the node API serves.
@Suite("stats history ring buffers")
struct StatsHistoryTests {
    func point(_ cpu: UInt16, memoryKiB: UInt32 = 1) -> HistoryPoint {
        HistoryPoint(workingSetKiB: memoryKiB, cpuMillicores: cpu)
    }

    @Test("a ring keeps the newest `capacity` points oldest first after wrapping around, and never holds more")
    func wraparound() {
        var ring = HistoryRing(capacity: 4, step: 10)
        for index in 0..<10 { ring.put(point(UInt16(index)), at: Int64(100 + index)) }
        #expect(ring.count == 4)
        #expect(ring.points.map(\.cpuMillicores) == [6, 7, 8, 9])
        #expect(ring.oldestIndex == 106 && ring.newestIndex == 109)
    }

    @Test("skipped intervals become missing points; a gap longer than the ring leaves only the new point and missing ones")
    func gaps() {
        var ring = HistoryRing(capacity: 5, step: 10)
        ring.put(point(1), at: 0)
        ring.put(point(2), at: 3)
        #expect(ring.points.map(\.isMissing) == [false, true, true, false])
        #expect(ring.points.last?.cpuMillicores == 2 && ring.oldestIndex == 0)
        ring.put(point(3), at: 1000)
        #expect(ring.count == 5 && ring.points.filter { !$0.isMissing }.map(\.cpuMillicores) == [3])
        #expect(ring.oldestIndex == 996 && ring.newestIndex == 1000)
    }

    @Test("the same interval again replaces its point (also once wrapped); an older interval is dropped")
    func replaceAndStale() {
        var ring = HistoryRing(capacity: 3, step: 10)
        for index in 0..<5 { ring.put(point(UInt16(index)), at: Int64(index)) }
        ring.put(point(40), at: 4)
        ring.put(point(99), at: 2)
        #expect(ring.points.map(\.cpuMillicores) == [2, 3, 40])
    }

    /// A v2-like sample with cumulative counters.
    func sample(
        cpuSeconds: Double, periods: UInt64, throttled: UInt64, memoryMiB: UInt64, cpuSomeMicros: UInt64 = 0, oomKills: UInt64 = 0
    )
        -> CgroupSample
    {
        var sample = CgroupSample()
        sample.cpuUsageCoreNanoseconds = UInt64(cpuSeconds * 1e9)
        sample.cpuThrottling = CPUThrottling(periods: periods, throttledPeriods: throttled)
        sample.cpuLimits = CgroupCPULimits(shares: 102, quota: 10_000, period: 100_000)
        sample.memoryWorkingSetBytes = memoryMiB << 20
        sample.memoryLimitBytes = 64 << 20
        sample.oomKills = oomKills
        sample.pressure = PressureStats(cpu: PSIStats(some: PSIData(total: cpuSomeMicros), full: PSIData()))
        return sample
    }

    @Test("10 s points are the deltas of the cumulative counters: millicores, periods, throttled periods, PSI share, OOM kills")
    func pointsFromDeltas() {
        var series = SeriesHistory()
        series.record(sample(cpuSeconds: 10, periods: 1000, throttled: 900, memoryMiB: 10), at: clock(second: 0))
        // 1 s of CPU in 10 s = 100m; 100 periods, 95 throttled; 2.5 s of CPU stall = 25%.
        series.record(
            sample(cpuSeconds: 11, periods: 1100, throttled: 995, memoryMiB: 12, cpuSomeMicros: 2_500_000, oomKills: 1), at: clock(second: 10))
        let points = series.fine.points
        #expect(points.count == 2)
        #expect(points[0] == HistoryPoint(workingSetKiB: 10 * 1024), "the first sample only sets the baseline")
        #expect(points[1].cpuMillicores == 100 && points[1].periods == 100 && points[1].throttledPeriods == 95)
        #expect(points[1].workingSetKiB == 12 * 1024 && points[1].cpuSome == 2500 && points[1].oomKills == 1)
        #expect(series.memoryLimitBytes == 64 << 20 && series.cpuLimitMillicores == 100)
    }

    @Test("the 10 s points of a minute fold into one 1 min point when the next minute starts: CPU averaged, memory max, counts summed")
    func downsampling() {
        var series = SeriesHistory()
        // Minute 0 (clock second 1_790_000_000 is a whole minute minus 20 s: start at a minute).
        let base: Int64 = 1_790_000_040  // divisible by 60
        var cpu = 0.0
        var periods: UInt64 = 0
        var throttled: UInt64 = 0
        for step in 0..<13 {
            let second = Int64(step) * 10
            // 200m in the first minute, 400m in the second; memory peaks at step 3.
            cpu += step == 0 ? 0 : (second <= 60 ? 2 : 4)
            periods += step == 0 ? 0 : 100
            throttled += step == 0 ? 0 : 50
            let memory: UInt64 = step == 3 ? 30 : 10
            series.record(
                sample(cpuSeconds: cpu, periods: periods, throttled: throttled, memoryMiB: memory),
                restarts: step >= 8 ? 1 : 0, at: SampleClock(wall: StatsTime(seconds: base + second), monotonicNanoseconds: UInt64(second) * 1_000_000_000))
        }
        // Steps 0…5 are minute 0, 6…11 minute 1, step 12 opens minute 2.
        let coarse = series.coarse.points
        #expect(coarse.count == 2, "two closed minutes: \(coarse)")
        #expect(series.coarse.oldestIndex == base / 60)
        // Minute 0: the baseline point (0m) and five 200m points → mean 167m (rounded).
        #expect(coarse[0].cpuMillicores == 167)
        #expect(coarse[0].workingSetKiB == 30 * 1024 && coarse[0].periods == 500 && coarse[0].throttledPeriods == 250)
        // Minute 1: step 6 is 200m (its 10 s ended at 60 s), steps 7…11 are 400m → 367m.
        #expect(coarse[1].cpuMillicores == 367 && coarse[1].workingSetKiB == 10 * 1024 && coarse[1].restarts == 1)
        #expect(series.currentMinute?.index == base / 60 + 2)
        #expect(series.fine.count == 13)
    }

    @Test("a day of 10 s samples keeps 360 fine and 1440 coarse points and no more")
    func bounded() {
        var series = SeriesHistory()
        var cpu = 0.0
        for step in 0..<(8640 + 100) {
            cpu += 0.5
            series.record(
                sample(cpuSeconds: cpu, periods: 0, throttled: 0, memoryMiB: 1),
                at: SampleClock(wall: StatsTime(seconds: Int64(step) * 10), monotonicNanoseconds: UInt64(step + 1) * 10_000_000_000))
        }
        #expect(series.fine.count == SeriesHistory.fineCapacity)
        #expect(series.coarse.count == SeriesHistory.coarseCapacity)
        #expect(series.fine.points.allSatisfy { $0.cpuMillicores == 50 })
        #expect(MemoryLayout<HistoryPoint>.stride == 24, "the documented size of a point")
    }

    @Test("restarts that happen while the container is not running are carried to its next point, with the OOM kill that caused them")
    func restartsBetweenRuns() {
        var series = SeriesHistory()
        series.record(sample(cpuSeconds: 1, periods: 0, throttled: 0, memoryMiB: 60), restarts: 0, at: clock(second: 0))
        series.record(nil, restarts: 1, lastExitOOMKilled: true, at: clock(second: 10))
        series.record(sample(cpuSeconds: 0.1, periods: 0, throttled: 0, memoryMiB: 1), restarts: 1, lastExitOOMKilled: true, at: clock(second: 20))
        let points = series.fine.points
        #expect(points.count == 3 && points[1].isMissing)
        #expect(points[2].restarts == 1 && points[2].oomKills == 1)
    }

    @Test("the node history keeps pods and containers by name, drops pods no longer sampled, and serves JSON per pod")
    func nodeHistoryAndJSON() throws {
        let history = StatsHistory()
        let container = ContainerStatsTarget(name: "app", cgroupPath: "/pod/app", startTime: StatsTime(seconds: 1))
        let target = PodStatsTarget(namespace: "default", name: "web", uid: "u1", cgroupPath: "/pod", containers: [container])
        let other = PodStatsTarget(namespace: "default", name: "gone", uid: "u2", cgroupPath: "/gone", containers: [])
        func snapshot(_ second: Int64, cpu: Double, pods: [PodStatsTarget]) -> StatsSnapshot {
            let stats = sample(cpuSeconds: cpu, periods: UInt64(second) * 10, throttled: UInt64(second) * 9, memoryMiB: 8)
            return StatsSnapshot(
                clock: clock(second: second), node: nil,
                pods: pods.map { PodSample(target: $0, stats: stats, containers: $0.containers.map { ContainerSample(target: $0, stats: stats) }) })
        }
        history.record(snapshot(0, cpu: 1, pods: [target, other]))
        #expect(history.seriesCount == 3)
        history.record(snapshot(10, cpu: 2, pods: [target]), events: ["u1": ["app": .init(restarts: 0)]])
        #expect(history.seriesCount == 2, "the pod that is gone took its series along")
        #expect(history.pod(namespace: "default", name: "gone") == nil)
        let pod = try #require(history.pod(namespace: "default", name: "web"))
        let json = try JSON(parsing: Array(pod.jsonText.utf8))
        #expect(json["name"] == "web" && json["uid"] == "u1")
        let app = json["containers"][0]
        #expect(app["container"] == "app")
        #expect(app["memoryLimitBytes"].int == 64 << 20 && app["cpuLimitMillicores"].int == 100)
        let fine = app["resolutions"][0]
        #expect(fine["stepSeconds"].int == 10)
        #expect(fine["start"].int == (clock(second: 0).wall.seconds / 10) * 10)
        #expect(fine["cpuMillicores"].array?.compactMap(\.int) == [0, 100])
        #expect(fine["cfsThrottledPeriods"].array?.compactMap(\.int) == [0, 90])
        #expect(fine["memoryWorkingSetBytes"].array?.compactMap(\.int) == [8 << 20, 8 << 20])
        let coarse = app["resolutions"][1]
        #expect(coarse["stepSeconds"].int == 60 && coarse["cpuMillicores"].array?.count == 1, "the minute being filled")
        #expect(json["pod"]["container"] == .null, "the pod's own series has no container name")
    }
}
