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
        let asV1 = try await server.kubectl(
            "get", "horizontalpodautoscalers.v1.autoscaling", "web", "-o", "jsonpath={.apiVersion} {.spec.targetCPUUtilizationPercentage}")
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

    static let nodeAndPod = """
        apiVersion: v1
        kind: Node
        metadata: {name: worker-1}
        status:
          conditions: [{type: Ready, status: "True", reason: KubeletReady, message: ok}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: web-1, labels: {app: web}}
        spec: {nodeName: worker-1, containers: [{name: web, image: nginx}]}
        """

    @Test("kubectl drain evicts through pods/eviction: blocked (429) by a PodDisruptionBudget allowing nothing, let through once it allows one")
    func drainRespectsBudget() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        // A Node without an agent and a pod bound to it, reported Running and Ready.
        expectSuccess(try await server.kubectl("create", "-f", "-", input: Self.nodeAndPod))
        expectSuccess(
            try await server.kubectl(
                "patch", "pod", "web-1", "--subresource=status", "--type=merge", "-p",
                #"{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}"#))
        let created = try await server.kubectl("create", "pdb", "web", "--selector=app=web", "--min-available=1")
        #expect(created.stdout == "poddisruptionbudget.policy/web created\n", "\(created.stderr)")
        // The disruption controller counts the one healthy pod: nothing may go.
        let counted = try await server.kubectl("get", "pdb", "web", "-o", "jsonpath={.status.currentHealthy}") { $0.stdout == "1" }
        #expect(counted.stdout == "1")
        let rows = Self.table(try await server.kubectl("get", "pdb").stdout)
        #expect(rows.first == ["NAME", "MIN AVAILABLE", "MAX UNAVAILABLE", "ALLOWED DISRUPTIONS", "AGE"])
        #expect(rows.last.map { Array($0.prefix(4)) } == ["web", "1", "N/A", "0"])
        let blocked = try await server.kubectl("drain", "worker-1", "--ignore-daemonsets", "--force", "--timeout=7s", "-v=6")
        #expect(blocked.status != 0)
        #expect(blocked.stderr.contains("POST https://"), "\(blocked.stderr)")
        #expect(blocked.stderr.contains("/api/v1/namespaces/default/pods/web-1/eviction 429 Too Many Requests"), "\(blocked.stderr)")
        #expect(blocked.stderr.contains("Cannot evict pod as it would violate the pod's disruption budget."), "\(blocked.stderr)")
        #expect(try await server.kubectl("get", "pod", "web-1", "-o", "jsonpath={.metadata.deletionTimestamp}").stdout.isEmpty)
        #expect(try await server.kubectl("get", "node", "worker-1", "-o", "jsonpath={.spec.unschedulable}").stdout == "true")
        // The budget allows one once none must stay: the eviction goes through and the pod
        // terminates (its agent, absent here, would finish it), so drain waits for it and times out.
        expectSuccess(try await server.kubectl("patch", "pdb", "web", "--type=merge", "-p", #"{"spec":{"minAvailable":0}}"#))
        let allowed = try await server.kubectl("get", "pdb", "web", "-o", "jsonpath={.status.disruptionsAllowed}") { $0.stdout == "1" }
        #expect(allowed.stdout == "1")
        let evicted = try await server.kubectl("drain", "worker-1", "--ignore-daemonsets", "--force", "--timeout=3s", "-v=6")
        #expect(evicted.stderr.contains("/api/v1/namespaces/default/pods/web-1/eviction 201 Created"), "\(evicted.stderr)")
        #expect(!(try await server.kubectl("get", "pod", "web-1", "-o", "jsonpath={.metadata.deletionTimestamp}").stdout.isEmpty))
        let spent = try await server.kubectl("get", "pdb", "web", "-o", "jsonpath={.status.disruptionsAllowed}") { $0.stdout == "0" }
        #expect(spent.stdout == "0")
    }

    @Test("kubectl get sc shows the default local-path class; a claim gets it and kubectl get pvc shows Pending")
    func storage() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        let classes = Self.table(try await server.kubectl("get", "sc").stdout)
        #expect(classes.first == ["NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE", "ALLOWVOLUMEEXPANSION", "AGE"])
        #expect(classes.last.map { Array($0.prefix(5)) } == ["local-path (default)", "skiff.dev/local-path", "Delete", "WaitForFirstConsumer", "false"])
        expectSuccess(
            try await server.kubectl(
                "create", "-f", "-",
                input: """
                    apiVersion: v1
                    kind: PersistentVolumeClaim
                    metadata: {name: data}
                    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
                    """))
        let claims = Self.table(try await server.kubectl("get", "pvc").stdout)
        #expect(claims.first == ["NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS MODES", "STORAGECLASS", "VOLUMEATTRIBUTESCLASS", "AGE"])
        #expect(claims.last.map { Array($0.prefix(4)) } == ["data", "Pending", "local-path", "<unset>"])
        #expect(
            try await server.kubectl("get", "pvc", "data", "-o", "jsonpath={.metadata.finalizers[0]}").stdout == "kubernetes.io/pvc-protection")
        let invalid = try await server.kubectl(
            "create", "-f", "-",
            input: """
                apiVersion: v1
                kind: PersistentVolumeClaim
                metadata: {name: bad}
                spec: {accessModes: [ReadWriteOnce]}
                """)
        #expect(invalid.stderr.contains("spec.resources[storage]: Required value"), "\(invalid.stderr)")
    }
}
