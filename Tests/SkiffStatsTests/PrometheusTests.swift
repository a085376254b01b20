import SkiffStats
import Testing

/// /metrics/resource and /metrics/cadvisor: names, labels, HELP/TYPE lines and sample syntax.
@Suite("Prometheus text for /metrics/resource and /metrics/cadvisor")
struct PrometheusTests {
    func snapshot() throws -> (StatsSnapshot, FakeTree) {
        try SummaryJSONTests().snapshot()
    }

    /// Every non-comment line is `name{labels} value [timestamp]`, every family has HELP then TYPE.
    func checkSyntax(_ text: String) {
        var declared: Set<String> = []
        var lastHelp: String?
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# HELP ") {
                lastHelp = String(line.split(separator: " ")[2])
            } else if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                #expect(parts.count == 4 && String(parts[2]) == lastHelp, "TYPE without its HELP: \(line)")
                #expect(parts.last == "counter" || parts.last == "gauge")
                declared.insert(String(parts[2]))
            } else {
                let name = String(line.prefix { $0 != "{" && $0 != " " })
                #expect(declared.contains(name), "sample before its TYPE: \(line)")
                let afterLabels = line.contains("}") ? line[line.lastIndex(of: "}")!...].dropFirst() : line.drop { $0 != " " }
                let fields = afterLabels.split(separator: " ")
                #expect((1...2).contains(fields.count) && Double(fields[0]) != nil, "bad value in: \(line)")
            }
        }
        #expect(text.hasSuffix("\n"))
    }

    @Test("resource metrics: kubelet names, {container,namespace,pod} labels, seconds and bytes, ms timestamps")
    func resourceMetrics() throws {
        let (snapshot, tree) = try snapshot()
        defer { tree.remove() }
        let text = ResourceMetrics.render(snapshot)
        checkSyntax(text)
        let ms = snapshot.time.milliseconds
        #expect(
            text.contains(
                "# HELP container_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the container in core-seconds\n# TYPE container_cpu_usage_seconds_total counter\n"
            ))
        #expect(text.contains("container_cpu_usage_seconds_total{container=\"app\",namespace=\"default\",pod=\"web\"} 1.1 \(ms)\n"))
        #expect(text.contains("container_memory_working_set_bytes{container=\"app\",namespace=\"default\",pod=\"web\"} 73400320 \(ms)\n"))
        #expect(text.contains("container_start_time_seconds{container=\"app\",namespace=\"default\",pod=\"web\"} 1790000100 1790000100000\n"))
        #expect(text.contains("container_start_time_seconds{container=\"gone\",namespace=\"default\",pod=\"web\"} 1790000050 1790000050000\n"))
        #expect(!text.contains("container_cpu_usage_seconds_total{container=\"gone\""))
        #expect(text.contains("pod_cpu_usage_seconds_total{namespace=\"default\",pod=\"web\"} 1 \(ms)\n"))
        #expect(text.contains("pod_memory_working_set_bytes{namespace=\"default\",pod=\"web\"} 73400320 \(ms)\n"))
        #expect(text.contains("node_cpu_usage_seconds_total 10 \(ms)\n"))
        #expect(text.contains("node_memory_working_set_bytes 5120000000 \(ms)\n"))
        #expect(text.contains("# TYPE resource_scrape_error gauge\nresource_scrape_error 0\n"))
        #expect(text.contains("\nscrape_error 0\n"))
        let families = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] }
        #expect(families == families.sorted(), "families are sorted by name")
    }

    @Test("a failed read turns scrape_error to 1")
    func scrapeError() {
        let snapshot = StatsSnapshot(clock: clock(second: 0), node: nil, pods: [], errors: ["node: boom"])
        let text = ResourceMetrics.render(snapshot)
        #expect(text.contains("resource_scrape_error 1\n") && text.contains("\nscrape_error 1\n"))
        #expect(!text.contains("node_cpu_usage_seconds_total"))
    }

    @Test("cadvisor metrics: cAdvisor names with container,id,image,name,namespace,pod; PSI in seconds; fs per device")
    func cadvisorMetrics() throws {
        let (snapshot, tree) = try snapshot()
        defer { tree.remove() }
        let text = CadvisorMetrics.render(snapshot)
        checkSyntax(text)
        let ms = snapshot.time.milliseconds
        let app = "container=\"app\",id=\"/pod/app\",image=\"\",name=\"\",namespace=\"default\",pod=\"web\""
        #expect(
            text.contains(
                "container_cpu_usage_seconds_total{container=\"app\",cpu=\"total\",id=\"/pod/app\",image=\"\",name=\"\",namespace=\"default\",pod=\"web\"} 1.1 \(ms)\n"
            ))
        #expect(text.contains("container_memory_usage_bytes{\(app)} 104857600 \(ms)\n"))
        #expect(text.contains("container_memory_working_set_bytes{\(app)} 73400320 \(ms)\n"))
        #expect(text.contains("container_memory_rss{\(app)} 52428800 \(ms)\n"))
        #expect(text.contains("container_oom_events_total{\(app)} 2 \(ms)\n"))
        #expect(text.contains("container_processes{\(app)} 3 \(ms)\n"))
        #expect(text.contains("container_spec_memory_limit_bytes{\(app)} 209715200\n"), "spec metrics carry no timestamp, as in cAdvisor")
        #expect(
            text.contains(
                "container_fs_reads_bytes_total{container=\"app\",device=\"8:0\",id=\"/pod/app\",image=\"\",name=\"\",namespace=\"default\",pod=\"web\"} 4096 \(ms)\n"
            ))
        #expect(
            text.contains(
                "container_fs_writes_bytes_total{container=\"app\",device=\"8:0\",id=\"/pod/app\",image=\"\",name=\"\",namespace=\"default\",pod=\"web\"} 8192 \(ms)\n"
            ))
        // total=123456 µs some / 789 µs full on cpu; 2 s / 1 s on memory.
        #expect(text.contains("container_pressure_cpu_waiting_seconds_total{\(app)} 0.123456 \(ms)\n"))
        #expect(text.contains("container_pressure_cpu_stalled_seconds_total{\(app)} 0.000789 \(ms)\n"))
        #expect(text.contains("container_pressure_memory_waiting_seconds_total{\(app)} 2 \(ms)\n"))
        #expect(text.contains("container_pressure_memory_stalled_seconds_total{\(app)} 1 \(ms)\n"))
        #expect(text.contains("container_pressure_io_waiting_seconds_total{\(app)} 4.2e-05 \(ms)\n"))
        #expect(
            text.contains(
                "# HELP container_pressure_io_stalled_seconds_total Total time duration no tasks in the container could make progress due to IO congestion.\n"))
        // The pod's own cgroup (container="") and the node's root (id="/").
        #expect(
            text.contains(
                "container_memory_working_set_bytes{container=\"\",id=\"/pod\",image=\"\",name=\"\",namespace=\"default\",pod=\"web\"} 73400320 \(ms)\n"))
        #expect(text.contains("container_memory_working_set_bytes{container=\"\",id=\"/\",image=\"\",name=\"\",namespace=\"\",pod=\"\"} 5120000000 \(ms)\n"))
        #expect(
            text.contains(
                "container_pressure_memory_waiting_seconds_total{container=\"\",id=\"/\",image=\"\",name=\"\",namespace=\"\",pod=\"\"} 0.0006 \(ms)\n"))
        #expect(text.contains("# TYPE container_oom_events_total counter\n"))
        #expect(text.contains("# TYPE container_processes gauge\n"))
    }

    @Test("label values escape backslash, quote and newline")
    func labelEscaping() {
        var text = PrometheusText()
        text.add("m", help: "h", .gauge, .init([("a", "x\"y\\z\nw")], 1))
        #expect(text.text == "# HELP m h\n# TYPE m gauge\nm{a=\"x\\\"y\\\\z\\nw\"} 1\n")
    }
}
