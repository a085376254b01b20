import Foundation
import SkiffTestSupport
import Testing

/// Real kubectl against a real `skiff server`: the kinds the controller manager works on
/// (CronJob, StatefulSet, HorizontalPodAutoscaler, PodDisruptionBudget and eviction, storage)
/// are created by kubectl's own generators and shown with kubectl's columns.
@Suite(.serialized) struct WorkloadKindsKubectlTests {
    func expectSuccess(_ output: Tools.Output, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(output.status == 0, "kubectl failed: \(output.stderr)", sourceLocation: sourceLocation)
    }

    /// kubectl's table split at runs of two or more spaces, so cells with one space (a cron
    /// schedule, `LAST SCHEDULE`) stay whole.
    static func table(_ text: String) -> [[String]] {
        text.split(separator: "\n").map { line in
            line.split(separator: "  ", omittingEmptySubsequences: true).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
    }

    @Test("kubectl create cronjob, get cronjob -o wide, create job --from=cronjob, and an unparsable schedule's 422")
    func cronJob() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        let created = try await server.kubectl("create", "cronjob", "tick", "--image=busybox", "--schedule=*/1 * * * *")
        #expect(created.stdout == "cronjob.batch/tick created\n", "\(created.stderr)")
        let rows = Self.table(try await server.kubectl("get", "cj", "-o", "wide").stdout)
        #expect(rows.first == ["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"])
        #expect(rows.last.map { Array($0.prefix(4)) + Array($0.suffix(3)) } == ["tick", "*/1 * * * *", "<none>", "False", "tick", "busybox", "<none>"])
        let fromCronJob = try await server.kubectl("create", "job", "manual", "--from=cronjob/tick")
        #expect(fromCronJob.stdout == "job.batch/manual created\n", "\(fromCronJob.stderr)")
        let owner = try await server.kubectl(
            "get", "job", "manual", "-o",
            "jsonpath={.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name} {.metadata.annotations.cronjob\\.kubernetes\\.io/instantiate} {.spec.template.spec.containers[0].image}"
        )
        #expect(owner.stdout == "CronJob/tick manual busybox", "\(owner.stderr)")
        let invalid = try await server.kubectl("create", "cronjob", "bad", "--image=busybox", "--schedule=61 * * * *")
        #expect(invalid.status != 0)
        #expect(invalid.stderr.contains("spec.schedule: Invalid value: \"61 * * * *\""), "\(invalid.stderr)")
        #expect(try await server.kubectl("get", "cronjob", "bad").status != 0)
    }

    @Test("kubectl autoscale posts an autoscaling/v1 HPA that kubectl get hpa shows through v2 with its targets")
    func autoscale() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        expectSuccess(try await server.kubectl("create", "deployment", "web", "--image=nginx", "--replicas=0"))
        let autoscaled = try await server.kubectl("autoscale", "deployment", "web", "--cpu-percent=50", "--min=1", "--max=5")
        #expect(autoscaled.stdout == "horizontalpodautoscaler.autoscaling/web autoscaled\n", "\(autoscaled.stderr)")
        let rows = Self.table(try await server.kubectl("get", "hpa").stdout)
        #expect(rows.first == ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"])
        #expect(rows.last.map { Array($0.prefix(6)) } == ["web", "Deployment/web", "cpu: <unknown>/50%", "1", "5", "0"])
        let asV2 = try await server.kubectl("get", "hpa", "web", "-o", "jsonpath={.apiVersion} {.spec.metrics[0].resource.target.averageUtilization}")
        #expect(asV2.stdout == "autoscaling/v2 50")
        let asV1 = try await server.kubectl("get", "horizontalpodautoscalers.v1.autoscaling", "web", "-o", "jsonpath={.apiVersion} {.spec.targetCPUUtilizationPercentage}")
        #expect(asV1.stdout == "autoscaling/v1 50")
        let invalid = try await server.kubectl(
            "create", "-f", "-",
            input: """
                apiVersion: autoscaling/v2
                kind: HorizontalPodAutoscaler
                metadata: {name: bad}
                spec: {scaleTargetRef: {kind: Deployment, name: web}, minReplicas: 3, maxReplicas: 2}
                """)
        #expect(invalid.status != 0)
        #expect(invalid.stderr.contains("spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`"), "\(invalid.stderr)")
    }
}
