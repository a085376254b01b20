import Foundation
import SkiffTestSupport
import Testing

/// Real kubectl (v1.32) against a real `skiff server` process on SQLite.
@Suite(.serialized) struct KubectlTests {
    func expectSuccess(_ output: Tools.Output, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(output.status == 0, "kubectl failed: \(output.stderr)", sourceLocation: sourceLocation)
    }

    @Test func kubectlListsDefaultObjectsWithServerSideColumns() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        let namespaces = try await server.kubectl("get", "namespaces")
        expectSuccess(namespaces)
        let rows = Tools.rows(namespaces.stdout)
        #expect(rows.first == ["NAME", "STATUS", "AGE"])
        #expect(rows.dropFirst().map { $0[0] } == ["default", "kube-node-lease", "kube-public", "kube-system"])
        #expect(rows.dropFirst().allSatisfy { $0[1] == "Active" })
        let services = try await server.kubectl("get", "services", "-o", "wide")
        expectSuccess(services)
        #expect(Tools.rows(services.stdout).first == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"])
        #expect(Tools.rows(services.stdout).dropFirst().first?.prefix(5) == ["kubernetes", "ClusterIP", "10.43.0.1", "<none>", "443/TCP"])
        let version = try await server.kubectl("version", "-o", "json")
        expectSuccess(version)
        #expect(version.stdout.contains("\"gitVersion\": \"v1.32.0-skiff\""))
    }

    @Test func kubectlShowsNodesWithStatusRolesAndWideColumns() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        expectSuccess(try await server.kubectl("create", "-f", "-", input: Manifests.node))
        let nodes = try await server.kubectl("get", "nodes")
        expectSuccess(nodes)
        let rows = Tools.rows(nodes.stdout)
        #expect(rows.first == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"])
        #expect(rows.last.map { [$0[0], $0[1], $0[2], $0[4]] } == ["worker-1", "Ready", "worker", "v1.32.0-skiff"])
        let wide = try await server.kubectl("get", "nodes", "-o", "wide")
        expectSuccess(wide)
        #expect(wide.stdout.contains("INTERNAL-IP"))
        #expect(wide.stdout.contains("192.168.7.10"))
        #expect(wide.stdout.contains("Debian GNU/Linux 12 (bookworm)"))
        let yaml = try await server.kubectl("get", "node", "worker-1", "-o", "yaml")
        #expect(yaml.stdout.contains("kind: Node"))
        #expect(yaml.stdout.contains("resourceVersion:"))
    }

    @Test func kubectlAppliesDeploymentServiceAndPodThenUpdatesThem() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        let created = try await server.kubectl("apply", "-f", "-", input: Manifests.deployment(image: "nginx:1.25"))
        expectSuccess(created)
        #expect(created.stdout.contains("deployment.apps/web created"))
        #expect(created.stdout.contains("service/web created"))
        #expect(created.stdout.contains("pod/solo created"))
        let updated = try await server.kubectl("apply", "-f", "-", input: Manifests.deployment(image: "nginx:1.26", replicas: 3))
        expectSuccess(updated)
        #expect(updated.stdout.contains("deployment.apps/web configured"))
        #expect(updated.stdout.contains("service/web unchanged"))
        #expect(updated.stdout.contains("pod/solo configured"))
        let deployments = try await server.kubectl("get", "deployments", "-o", "wide")
        expectSuccess(deployments)
        let rows = Tools.rows(deployments.stdout)
        #expect(rows.first == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"])
        #expect(rows.last.map { [$0[0], $0[1], $0[5], $0[6], $0[7]] } == ["web", "0/3", "nginx", "nginx:1.26", "app=web"])
        let generation = try await server.kubectl(
            "get", "deployment", "web", "-o", "jsonpath={.metadata.generation} {.spec.template.spec.containers[0].env[0].value}")
        #expect(generation.stdout == "2 fast")
        let pod = try await server.kubectl("get", "pod", "solo", "-o", "jsonpath={.spec.containers[0].image}")
        #expect(pod.stdout == "nginx:1.26")
        let pods = try await server.kubectl("get", "pods", "-o", "wide")
        #expect(Tools.rows(pods.stdout).first?.prefix(7) == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE"])
        // The Deployment's pods are there too now (the controller manager runs in the server).
        #expect(Tools.rows(pods.stdout).first { $0.first == "solo" }?.prefix(3) == ["solo", "0/1", "Pending"])
        let services = try await server.kubectl("get", "services")
        #expect(services.stdout.contains("web") && services.stdout.contains("80/TCP"))
        let yaml = try await server.kubectl("get", "service", "web", "-o", "yaml")
        #expect(yaml.stdout.contains("kubectl.kubernetes.io/last-applied-configuration"))
        #expect(yaml.stdout.contains("clusterIP: 10.43."))
        let deleted = try await server.kubectl("delete", "-f", "-", input: Manifests.deployment(image: "nginx:1.26"))
        expectSuccess(deleted)
        #expect(deleted.stdout.contains("deployment.apps \"web\" deleted"))
        #expect(try await server.kubectl("get", "pods").stderr.contains("No resources found"))
    }

    @Test func kubectlWatchesPodsAsTheyAreCreatedAndDeleted() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        let watch = Process()
        watch.executableURL = URL(fileURLWithPath: try await Tools.kubectl())
        watch.arguments = ["--kubeconfig", server.kubeconfig, "get", "pods", "-w"]
        let outputPath = server.directory + "/watch.out"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        watch.standardOutput = FileHandle(forWritingAtPath: outputPath)
        watch.standardError = FileHandle(forWritingAtPath: outputPath)
        try watch.runReleasingStdio()
        defer {
            if watch.isRunning { watch.terminate() }
            watch.waitUntilExit()
        }
        try await Task.sleep(for: .seconds(1))
        expectSuccess(try await server.kubectl("run", "watched", "--image=busybox:1.36", "--restart=Never"))
        expectSuccess(try await server.kubectl("label", "pod", "watched", "seen=yes"))
        expectSuccess(try await server.kubectl("delete", "pod", "watched"))
        let deadline = Date().addingTimeInterval(10)
        var lines: [String] = []
        while Date() < deadline {
            lines = ((try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            if lines.filter({ $0.hasPrefix("watched") }).count >= 3 { break }
            try await Task.sleep(for: .seconds(0.1))
        }
        #expect(lines.filter { $0.hasPrefix("watched") }.count >= 3, "watch output: \(lines)")
        #expect(Date() < deadline, "the watch was slow to show all three changes: \(lines)")
        #expect(lines.first { $0.hasPrefix("watched") }?.contains("Pending") == true)
    }

    @Test func kubectlDescribesAPodWithItsEvents() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        expectSuccess(try await server.kubectl("apply", "-f", "-", input: Manifests.deployment(image: "nginx:1.25")))
        let uid = try await server.kubectl("get", "pod", "solo", "-o", "jsonpath={.metadata.uid}").stdout
        expectSuccess(try await server.kubectl("create", "-f", "-", input: Manifests.event(podUID: uid)))
        let description = try await server.kubectl("describe", "pod", "solo")
        expectSuccess(description)
        #expect(description.stdout.range(of: #"Name:\s+solo\n"#, options: .regularExpression) != nil)
        #expect(description.stdout.range(of: #"Image:\s+nginx:1.25\n"#, options: .regularExpression) != nil)
        #expect(description.stdout.contains("Events:"))
        #expect(description.stdout.contains("Scheduled"))
        #expect(description.stdout.contains("Successfully assigned default/solo to worker-1"))
        let events = try await server.kubectl("get", "events")
        #expect(events.stdout.contains("pod/solo"))
    }

    @Test func kubectlLabelsAnnotatesAndScales() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        expectSuccess(try await server.kubectl("apply", "-f", "-", input: Manifests.deployment(image: "nginx:1.25")))
        let label = try await server.kubectl("label", "pod", "solo", "tier=backend")
        #expect(label.stdout == "pod/solo labeled\n")
        let annotate = try await server.kubectl("annotate", "pod", "solo", "owner=team-a")
        #expect(annotate.stdout == "pod/solo annotated\n")
        let selected = try await server.kubectl("get", "pods", "-l", "tier=backend", "-o", "name")
        #expect(selected.stdout == "pod/solo\n")
        let annotation = try await server.kubectl("get", "pod", "solo", "-o", "jsonpath={.metadata.annotations.owner}")
        #expect(annotation.stdout == "team-a")
        #expect(try await server.kubectl("label", "pod", "solo", "tier=frontend").status != 0)
        expectSuccess(try await server.kubectl("label", "pod", "solo", "tier=frontend", "--overwrite"))
        expectSuccess(try await server.kubectl("label", "pod", "solo", "tier-"))
        #expect(try await server.kubectl("get", "pods", "-l", "tier", "-o", "name").stdout.isEmpty)
        let scale = try await server.kubectl("scale", "deployment", "web", "--replicas=5")
        #expect(scale.stdout == "deployment.apps/web scaled\n")
        #expect(try await server.kubectl("get", "deployment", "web", "-o", "jsonpath={.spec.replicas}").stdout == "5")
    }

    @Test func kubectlCreatesAndDeletesANamespace() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        let created = try await server.kubectl("create", "namespace", "team-a")
        #expect(created.stdout == "namespace/team-a created\n", "\(created.stderr)")
        expectSuccess(try await server.kubectl("create", "configmap", "settings", "--from-literal=mode=fast", "-n", "team-a"))
        #expect(Tools.rows(try await server.kubectl("get", "configmaps", "-n", "team-a").stdout).last?.prefix(2) == ["settings", "1"])
        let deleted = try await server.kubectl("delete", "namespace", "team-a")
        #expect(deleted.stdout == "namespace \"team-a\" deleted\n")
        #expect(try await server.kubectl("get", "namespace", "team-a").status != 0)
    }

    /// `kubectl create deployment|service|job|secret` send protobuf, not JSON.
    @Test func kubectlCreateGeneratorsSendingProtobufWork() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        let deployment = try await server.kubectl("create", "deployment", "web", "--image=nginx:1.25", "--port=80", "--replicas=0")
        #expect(deployment.stdout == "deployment.apps/web created\n", "\(deployment.stderr)")
        #expect(
            try await server.kubectl(
                "get", "deployment", "web", "-o", "jsonpath={.spec.replicas} {.spec.selector.matchLabels.app} {.spec.template.spec.containers[0].ports}"
            ).stdout
                == #"0 web [{"containerPort":80,"protocol":"TCP"}]"#)
        expectSuccess(try await server.kubectl("create", "service", "nodeport", "web", "--tcp=80:8080"))
        let service = Tools.rows(try await server.kubectl("get", "service", "web").stdout).last ?? []
        #expect(service.count == 6 && service[1] == "NodePort" && service[4] == "80:30000/TCP", "\(service)")
        #expect(try await server.kubectl("get", "service", "web", "-o", "jsonpath={.spec.ports[0].targetPort}").stdout == "8080")
        expectSuccess(try await server.kubectl("create", "job", "once", "--image=busybox", "--", "echo", "hi"))
        #expect(
            try await server.kubectl("get", "job", "once", "-o", "jsonpath={.spec.template.spec.containers[0].command} {.spec.template.spec.restartPolicy}")
                .stdout
                == #"["echo","hi"] Never"#)
        expectSuccess(try await server.kubectl("create", "secret", "generic", "creds", "--from-literal=password=hunter2"))
        #expect(try await server.kubectl("get", "secret", "creds", "-o", "jsonpath={.type} {.data.password}").stdout == "Opaque aHVudGVyMg==")
    }

    @Test func kubectlReportsInvalidManifestsWithFieldErrors() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        let result = try await server.kubectl("apply", "-f", "-", input: Manifests.invalidPod)
        #expect(result.status != 0)
        #expect(result.stderr.contains("is invalid"))
        #expect(result.stderr.contains("spec.containers[0].image: Required value"))
        #expect(result.stderr.contains("spec.containers[0].resources.requests.cpu"))
        let typo = try await server.kubectl("apply", "-f", "-", input: Manifests.deployment(image: "x").replacingOccurrences(of: "image: x", with: "imagee: x"))
        #expect(typo.status != 0)
        #expect(typo.stderr.contains("unknown field"))
        #expect(try await server.kubectl("get", "pods").stderr.contains("No resources found"))
    }
}
