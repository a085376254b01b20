/// The kubelet's /metrics/cadvisor, with cAdvisor's metric names, HELP texts and its label set
/// (container, id = cgroup path, image, name = runtime id, namespace, pod). The node's root
/// cgroup is id="/" with empty pod labels; a pod's own cgroup has container="" and carries the
/// pod's network counters (with an `interface` label).
///
/// As in cAdvisor, the spec metrics (`container_spec_*`, `container_start_time_seconds`) have
/// no timestamp, and the CFS counters appear only for cgroups with a CPU quota.
public enum CadvisorMetrics {
    public static func render(_ snapshot: StatsSnapshot) -> String {
        var text = PrometheusText()
        let time = snapshot.time
        if let node = snapshot.node {
            var root = CgroupSample()
            root.cpuUsageCoreNanoseconds = node.cpuUsageCoreNanoseconds
            root.memoryUsageBytes = node.memoryUsageBytes
            root.memoryWorkingSetBytes = node.memoryWorkingSetBytes
            root.memoryRSSBytes = node.memoryRSSBytes
            root.memoryCacheBytes = node.memoryUsageBytes > node.memoryRSSBytes ? node.memoryUsageBytes - node.memoryRSSBytes : 0
            root.pressure = node.pressure
            root.threadCount = node.processCount.map { UInt64(clamping: $0) } ?? 0
            add(root, labels: labels(container: "", id: "/", image: "", name: "", namespace: "", pod: ""), time: time, to: &text)
        }
        for pod in snapshot.pods {
            let target = pod.target
            let podLabels = labels(container: "", id: target.cgroupPath, image: "", name: "", namespace: target.namespace, pod: target.name)
            if let stats = pod.stats { add(stats, labels: podLabels, time: time, to: &text) }
            if let network = pod.network { add(network, labels: podLabels, time: time, to: &text) }
            for container in pod.containers {
                let containerLabels = labels(
                    container: container.target.name, id: container.target.cgroupPath, image: container.target.image,
                    name: container.target.id, namespace: target.namespace, pod: target.name)
                text.add(
                    "container_start_time_seconds", help: "Start time of the container since unix epoch in seconds.", .gauge,
                    .init(containerLabels, container.target.startTime.secondsSinceEpoch))
                if let stats = container.stats { add(stats, labels: containerLabels, time: time, to: &text) }
            }
        }
        return text.text
    }

    private static func labels(container: String, id: String, image: String, name: String, namespace: String, pod: String) -> [(String, String)] {
        [("container", container), ("id", id), ("image", image), ("name", name), ("namespace", namespace), ("pod", pod)]
    }

    private static func add(_ stats: CgroupSample, labels: [(String, String)], time: StatsTime, to text: inout PrometheusText) {
        func gauge(_ name: String, _ help: String, _ value: UInt64) {
            text.add(name, help: help, .gauge, .init(labels, Double(value), at: time))
        }
        func spec(_ name: String, _ help: String, _ value: UInt64) {
            text.add(name, help: help, .gauge, .init(labels, Double(value)))
        }
        func counter(_ name: String, _ help: String, _ value: Double, extra: [(String, String)] = []) {
            text.add(name, help: help, .counter, .init(sorted(labels + extra), value, at: time))
        }
        counter(
            "container_cpu_usage_seconds_total", "Cumulative cpu time consumed in seconds.",
            Double(stats.cpuUsageCoreNanoseconds) / 1e9, extra: [("cpu", "total")])
        gauge(
            "container_memory_usage_bytes", "Current memory usage in bytes, including all memory regardless of when it was accessed",
            stats.memoryUsageBytes)
        gauge("container_memory_working_set_bytes", "Current working set in bytes.", stats.memoryWorkingSetBytes)
        gauge("container_memory_rss", "Size of RSS in bytes.", stats.memoryRSSBytes)
        gauge("container_memory_cache", "Number of bytes of page cache memory.", stats.memoryCacheBytes)
        if let swap = stats.swapUsageBytes { gauge("container_memory_swap", "Container swap usage in bytes.", swap) }
        gauge("container_memory_mapped_file", "Size of memory mapped files in bytes.", stats.memoryMappedFileBytes)
        counter("container_memory_failcnt", "Number of memory usage hits limits", Double(stats.memoryFailcnt))
        spec("container_spec_memory_limit_bytes", "Memory limit for the container.", stats.memoryLimitBytes ?? 0)
        counter("container_oom_events_total", "Count of out of memory events observed for the container", Double(stats.oomKills))
        gauge("container_processes", "Number of processes running inside the container.", stats.processCount)
        gauge("container_threads", "Number of threads running inside the container", stats.threadCount)
        gauge(
            "container_threads_max", "Maximum number of threads allowed inside the container, infinity if value is zero",
            stats.threadLimit ?? 0)
        if let files = stats.fileDescriptors { gauge("container_file_descriptors", "Number of open file descriptors for the container.", files) }
        if let sockets = stats.sockets { gauge("container_sockets", "Number of open sockets for the container.", sockets) }
        if let limits = stats.cpuLimits {
            // cAdvisor's spec values, in cgroup v1 units: microseconds and shares.
            if let period = limits.period { spec("container_spec_cpu_period", "CPU period of the container.", period) }
            if let quota = limits.quota { spec("container_spec_cpu_quota", "CPU quota of the container.", quota) }
            if let shares = limits.shares { spec("container_spec_cpu_shares", "CPU share of the container.", shares) }
        }
        if let throttling = stats.cpuThrottling, stats.cpuLimits?.quota != nil {
            counter("container_cpu_cfs_periods_total", "Number of elapsed enforcement period intervals.", Double(throttling.periods))
            counter("container_cpu_cfs_throttled_periods_total", "Number of throttled period intervals.", Double(throttling.throttledPeriods))
            counter(
                "container_cpu_cfs_throttled_seconds_total", "Total time duration the container has been throttled.",
                Double(throttling.throttledNanoseconds) / 1e9)
        }
        for device in stats.io?.devices ?? [] {
            let extra = [("device", device.name)]
            counter("container_fs_reads_bytes_total", "Cumulative count of bytes read", Double(device.readBytes), extra: extra)
            counter("container_fs_writes_bytes_total", "Cumulative count of bytes written", Double(device.writeBytes), extra: extra)
            counter("container_fs_reads_total", "Cumulative count of reads completed", Double(device.reads), extra: extra)
            counter("container_fs_writes_total", "Cumulative count of writes completed", Double(device.writes), extra: extra)
        }
        let resources: [(String, String, PSIStats?)] = [
            ("cpu", "CPU", stats.pressure?.cpu), ("memory", "memory", stats.pressure?.memory), ("io", "IO", stats.pressure?.io),
        ]
        for (resource, title, psi) in resources {
            guard let psi else { continue }
            // The kernel counts microseconds; cAdvisor exports seconds.
            counter(
                "container_pressure_\(resource)_waiting_seconds_total",
                "Total time duration tasks in the container have waited due to \(title) congestion.", Double(psi.some.total) / 1e6)
            counter(
                "container_pressure_\(resource)_stalled_seconds_total",
                "Total time duration no tasks in the container could make progress due to \(title) congestion.", Double(psi.full.total) / 1e6)
        }
    }

    private static func add(_ network: NetworkSample, labels: [(String, String)], time: StatsTime, to text: inout PrometheusText) {
        for interface in network.interfaces {
            let labels = sorted(labels + [("interface", interface.name)])
            let counters: [(String, String, UInt64)] = [
                ("container_network_receive_bytes_total", "Cumulative count of bytes received", interface.rxBytes),
                ("container_network_receive_errors_total", "Cumulative count of errors encountered while receiving", interface.rxErrors),
                ("container_network_receive_packets_total", "Cumulative count of packets received", interface.rxPackets),
                ("container_network_receive_packets_dropped_total", "Cumulative count of packets dropped while receiving", interface.rxDropped),
                ("container_network_transmit_bytes_total", "Cumulative count of bytes transmitted", interface.txBytes),
                ("container_network_transmit_errors_total", "Cumulative count of errors encountered while transmitting", interface.txErrors),
                ("container_network_transmit_packets_total", "Cumulative count of packets transmitted", interface.txPackets),
                (
                    "container_network_transmit_packets_dropped_total", "Cumulative count of packets dropped while transmitting",
                    interface.txDropped
                ),
            ]
            for (name, help, value) in counters { text.add(name, help: help, .counter, .init(labels, Double(value), at: time)) }
        }
    }

    private static func sorted(_ labels: [(String, String)]) -> [(String, String)] {
        labels.sorted { $0.0 < $1.0 }
    }
}
