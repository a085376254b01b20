/// The kubelet's /metrics/resource: what metrics-server scrapes for `kubectl top`.
/// Names, labels and help texts follow the kubelet's resource metrics collector.
public enum ResourceMetrics {
    public static func render(_ snapshot: StatsSnapshot) -> String {
        var text = PrometheusText()
        let time = snapshot.time
        if let node = snapshot.node {
            text.add(
                "node_cpu_usage_seconds_total", help: "[STABLE] Cumulative cpu time consumed by the node in core-seconds",
                .counter, .init([], seconds(node.cpuUsageCoreNanoseconds), at: time))
            text.add(
                "node_memory_working_set_bytes", help: "[STABLE] Current working set of the node in bytes",
                .gauge, .init([], Double(node.memoryWorkingSetBytes), at: time))
            if node.swapTotalBytes > 0 {
                text.add(
                    "node_swap_usage_bytes", help: "[ALPHA] Current swap usage of the node in bytes. Reported only on non-windows systems",
                    .gauge, .init([], Double(node.swapUsageBytes), at: time))
            }
        }
        for pod in snapshot.pods {
            let podLabels = [("namespace", pod.target.namespace), ("pod", pod.target.name)]
            for container in pod.containers {
                let labels = [("container", container.target.name)] + podLabels
                text.add(
                    "container_start_time_seconds", help: "[STABLE] Start time of the container since unix epoch in seconds",
                    .gauge, .init(labels, container.target.startTime.secondsSinceEpoch, at: container.target.startTime))
                guard let stats = container.stats else { continue }
                text.add(
                    "container_cpu_usage_seconds_total", help: "[STABLE] Cumulative cpu time consumed by the container in core-seconds",
                    .counter, .init(labels, seconds(stats.cpuUsageCoreNanoseconds), at: time))
                text.add(
                    "container_memory_working_set_bytes", help: "[STABLE] Current working set of the container in bytes",
                    .gauge, .init(labels, Double(stats.memoryWorkingSetBytes), at: time))
                if let swap = stats.swapUsageBytes {
                    text.add(
                        "container_swap_usage_bytes", help: "[ALPHA] Current amount of the container swap usage in bytes. Reported only on non-windows systems",
                        .gauge, .init(labels, Double(swap), at: time))
                }
            }
            guard let stats = pod.stats else { continue }
            text.add(
                "pod_cpu_usage_seconds_total", help: "[STABLE] Cumulative cpu time consumed by the pod in core-seconds",
                .counter, .init(podLabels, seconds(stats.cpuUsageCoreNanoseconds), at: time))
            text.add(
                "pod_memory_working_set_bytes", help: "[STABLE] Current working set of the pod in bytes",
                .gauge, .init(podLabels, Double(stats.memoryWorkingSetBytes), at: time))
            if let swap = stats.swapUsageBytes {
                text.add(
                    "pod_swap_usage_bytes", help: "[ALPHA] Current amount of the pod swap usage in bytes. Reported only on non-windows systems",
                    .gauge, .init(podLabels, Double(swap), at: time))
            }
        }
        let failed: Double = snapshot.errors.isEmpty ? 0 : 1
        text.add(
            "resource_scrape_error", help: "[STABLE] 1 if there was an error while getting container metrics, 0 otherwise",
            .gauge, .init([], failed))
        // Renamed to resource_scrape_error in Kubernetes 1.29; still served for old dashboards.
        text.add(
            "scrape_error", help: "[ALPHA] (Deprecated since 1.29.0) 1 if there was an error while getting container metrics, 0 otherwise",
            .gauge, .init([], failed))
        return text.text
    }

    static func seconds(_ nanoseconds: UInt64) -> Double { Double(nanoseconds) / 1e9 }
}
