import SkiffAPI
import SkiffAPIServer
import Testing

@Suite struct CronJobResourceTests {
    let cronJobs = "/apis/batch/v1/namespaces/default/cronjobs"

    static func cronJob(_ name: String, schedule: String = "*/1 * * * *", timeZone: String? = nil) -> JSON {
        var cronJob: JSON = [
            "metadata": ["name": .string(name)],
            "spec": [
                "schedule": .string(schedule),
                "jobTemplate": [
                    "spec": ["template": ["spec": ["restartPolicy": "OnFailure", "containers": [["name": "job", "image": "busybox"]]]]]
                ],
            ],
        ]
        if let timeZone { cronJob["spec"]["timeZone"] = .string(timeZone) }
        return cronJob
    }

    @Test("a CronJob gets Kubernetes' defaults and its pod template's")
    func defaults() async throws {
        let api = try await TestAPI()
        let created = try await api.call("POST", cronJobs, Self.cronJob("tick"))
        #expect(created.status == 201)
        let spec = created.body["spec"]
        #expect(spec["concurrencyPolicy"] == "Allow")
        #expect(spec["suspend"] == false)
        #expect(spec["successfulJobsHistoryLimit"] == 3)
        #expect(spec["failedJobsHistoryLimit"] == 1)
        #expect(spec["jobTemplate"]["spec"]["template"]["spec"]["dnsPolicy"] == "ClusterFirst")
        #expect(created.body["metadata"]["generation"] == 1)
    }

    @Test(
        "an unparsable schedule or unknown zone is a 422 naming the field, and nothing is stored",
        arguments: [
            ("61 * * * *", nil, "spec.schedule"),
            ("* * * *", nil, "spec.schedule"),
            ("CRON_TZ=UTC * * * * *", nil, "spec.schedule"),
            ("@every-other-day", nil, "spec.schedule"),
            ("0 * * * *", "Mars/Olympus", "spec.timeZone"),
            ("0 * * * *", "Local", "spec.timeZone"),
            ("0 * * * *", "", "spec.timeZone"),
        ] as [(String, String?, String)])
    func invalidSchedule(schedule: String, timeZone: String?, field: String) async throws {
        let api = try await TestAPI()
        let result = try await api.call("POST", cronJobs, Self.cronJob("bad", schedule: schedule, timeZone: timeZone))
        #expect(result.status == 422)
        #expect(result.body["reason"] == "Invalid")
        #expect(result.body["details"]["causes"].array?.contains { $0["field"].string == field } == true)
        #expect(try await api.call("GET", "\(cronJobs)/bad").status == 404)
    }

    @Test("a valid zone, descriptors and names are accepted")
    func validSchedules() async throws {
        let api = try await TestAPI()
        #expect(try await api.call("POST", cronJobs, Self.cronJob("berlin", schedule: "0 9 * * MON-FRI", timeZone: "Europe/Berlin")).status == 201)
        #expect(try await api.call("POST", cronJobs, Self.cronJob("daily", schedule: "@daily")).status == 201)
    }

    @Test("other CronJob fields are validated: policy, limits, restart policy, name length")
    func otherFields() async throws {
        let api = try await TestAPI()
        var cronJob = Self.cronJob("bad")
        cronJob["spec"]["concurrencyPolicy"] = "Sometimes"
        cronJob["spec"]["successfulJobsHistoryLimit"] = -1
        cronJob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"] = "Always"
        cronJob["spec"]["jobTemplate"]["spec"]["completions"] = -2
        let result = try await api.call("POST", cronJobs, cronJob)
        #expect(result.status == 422)
        let fields = Set((result.body["details"]["causes"].array ?? []).compactMap { $0["field"].string })
        #expect(
            fields == [
                "spec.concurrencyPolicy", "spec.successfulJobsHistoryLimit", "spec.jobTemplate.spec.template.spec.restartPolicy",
                "spec.jobTemplate.spec.completions",
            ])
        let long = try await api.call("POST", cronJobs, Self.cronJob(String(repeating: "a", count: 53)))
        #expect(long.status == 422)
    }

    @Test("kubectl's columns: schedule, timezone, suspend, active, last schedule, and wide containers/images/selector")
    func columns() async throws {
        let api = try await TestAPI()
        let created = try await api.call("POST", cronJobs, Self.cronJob("tick", timeZone: "Asia/Tokyo"))
        var status = created.body
        status["status"] = ["active": [["kind": "Job", "name": "tick-1"]], "lastScheduleTime": .string(Timestamp.now())]
        #expect(try await api.call("PUT", "\(cronJobs)/tick/status", status).status == 200)
        let table = try await api.call("GET", cronJobs, accept: "application/json;as=Table;v=v1;g=meta.k8s.io")
        let names = (table.body["columnDefinitions"].array ?? []).compactMap { $0["name"].string }
        #expect(names == ["Name", "Schedule", "Timezone", "Suspend", "Active", "Last Schedule", "Age", "Containers", "Images", "Selector"])
        let cells = table.body["rows"][0]["cells"].array ?? []
        #expect(Array(cells.prefix(5)) == ["tick", "*/1 * * * *", "Asia/Tokyo", "False", 1])
        #expect(cells[5].string?.hasSuffix("s") == true)
        #expect(Array(cells.suffix(3)) == ["job", "busybox", "<none>"])
    }
}
