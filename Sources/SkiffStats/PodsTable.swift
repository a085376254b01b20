/// `skiff pods`: one line per container (crictl pods and ps in one), with its live usage.
public enum PodsTable {
    /// One container as the agent knows it; `stats` comes from the sampler.
    public struct Row: Sendable, Equatable {
        public var pod: String
        public var namespace: String
        public var container: String
        /// The agent's word for it: Running, Exited, Created, …
        public var state: String
        public var cgroup: String
        public var stats: CgroupSample?

        public init(pod: String, namespace: String, container: String, state: String, cgroup: String, stats: CgroupSample?) {
            (self.pod, self.namespace, self.container, self.state, self.cgroup, self.stats) = (pod, namespace, container, state, cgroup, stats)
        }
    }

    public static let headers = ["POD", "NAMESPACE", "CONTAINER", "STATE", "CGROUP", "CPU", "MEMORY", "PIDS", "OOM", "PSI"]

    /// Rows from a snapshot; `state` maps (pod uid, container name) to the agent's state.
    public static func rows(_ snapshot: StatsSnapshot, state: (_ podUID: String, _ container: String) -> String) -> [Row] {
        snapshot.pods.flatMap { pod in
            pod.containers.map {
                Row(
                    pod: pod.target.name, namespace: pod.target.namespace, container: $0.target.name,
                    state: state(pod.target.uid, $0.target.name), cgroup: $0.target.cgroupPath, stats: $0.stats)
            }
        }
    }

    /// Columns padded to their widest cell and three spaces apart, like crictl's tabwriter.
    /// CPU is cores over the last window ("-" before the second sample), MEMORY the working
    /// set in MiB, PSI memory "some" avg10 ("-" without PSI).
    public static func render(_ rows: [Row]) -> String {
        let cells =
            [headers]
            + rows.map { row -> [String] in
                let stats = row.stats
                return [
                    row.pod, row.namespace, row.container, row.state, row.cgroup,
                    stats?.cpuUsageNanoCores.map { fixed(Double($0) / 1e9, places: 3) } ?? "-",
                    stats.map { fixed(Double($0.memoryWorkingSetBytes) / 1_048_576, places: 1) } ?? "-",
                    stats.map { String($0.threadCount) } ?? "-",
                    stats.map { String($0.oomKills) } ?? "-",
                    stats?.pressure?.memory.map { fixed($0.some.avg10, places: 2) } ?? "-",
                ]
            }
        var widths = [Int](repeating: 0, count: headers.count)
        for line in cells { for (index, cell) in line.enumerated() { widths[index] = max(widths[index], cell.count) } }
        var output = ""
        for line in cells {
            var text = ""
            for (index, cell) in line.enumerated() {
                text += index == line.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count + 3)
            }
            output += text + "\n"
        }
        return output
    }

    /// `value` with exactly `places` decimals, without Foundation's String(format:).
    static func fixed(_ value: Double, places: Int) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = Int64((abs(value) * scale).rounded())
        let whole = scaled / Int64(scale)
        let fraction = String(scaled % Int64(scale))
        let sign = value < 0 && scaled != 0 ? "-" : ""
        guard places > 0 else { return sign + String(whole) }
        return sign + String(whole) + "." + String(repeating: "0", count: places - fraction.count) + fraction
    }
}
