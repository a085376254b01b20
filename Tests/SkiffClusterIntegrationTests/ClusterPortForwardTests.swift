import Foundation
import SkiffTestSupport
import Testing

/// `kubectl port-forward`, `attach` and `run -it --rm` on `scripts/cluster` hosts: from the test
/// machine through the server host to the agent of whichever host runs the pod.
@Suite("Cluster port-forward (root, multi-host)", .serialized)
struct ClusterPortForwardTests {
    @Test(
        "port-forward to pods on two hosts and to svc/NAME serves repeated and concurrent curls from the test machine; attach -i talks to a container reading stdin; run -i/-it --rm give a shell and remove the pod"
    )
    func forwardsAcrossHosts() async throws {
        try await TestCluster.with(nodes: 2) { cluster in
            #expect(try await cluster.kubectl(["apply", "-f", "-"], input: PortForwardProcess.webManifests(replicas: 2, spread: true)).status == 0)
            var pods: [String] = []
            for _ in 0..<300 where pods.count < 2 {
                let running = try await cluster.kubectl(
                    "get", "pods", "-l", "app=pf-web", "--field-selector=status.phase=Running", "-o", "jsonpath={.items[*].metadata.name}")
                pods = running.stdout.split(separator: " ").map(String.init)
                if pods.count < 2 { try await Task.sleep(for: .milliseconds(200)) }
            }
            #expect(pods.count == 2, "two running pods: \(pods)")
            for (index, pod) in pods.enumerated() {
                let forward = try await PortForwardProcess(kubeconfig: cluster.kubeconfig, ["pod/\(pod)", "\(18100 + index):80"])
                defer { forward.stop() }
                let answers = try await withThrowingTaskGroup(of: Tools.Output.self) { group in
                    for _ in 0..<6 { group.addTask { try await PortForwardProcess.curl(18100 + index) } }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(answers.allSatisfy { $0.stdout == "hello-from-\(pod)\n" }, "\(answers.map { $0.stdout + $0.stderr })")
                #expect(try await PortForwardProcess.curl(18100 + index).stdout == "hello-from-\(pod)\n")
            }
            let service = try await PortForwardProcess(kubeconfig: cluster.kubeconfig, ["svc/web", "18102:8000"])
            defer { service.stop() }
            let answer = try await PortForwardProcess.curl(18102)
            #expect(pods.map { "hello-from-\($0)\n" }.contains(answer.stdout), "\(answer)")
            try await Self.attachAndRun(cluster)
        }
    }

    /// A container reading stdin (stdinOnce: the end of the typed input ends it), then kubectl's
    /// own run -i/-it --rm sequence, each on whichever host the scheduler picks.
    static func attachAndRun(_ cluster: TestCluster) async throws {
        let reader = """
            apiVersion: v1
            kind: Pod
            metadata: {name: reader}
            spec:
              restartPolicy: Never
              terminationGracePeriodSeconds: 1
              containers:
              - name: reader
                image: busybox
                stdin: true
                stdinOnce: true
                command: ["/bin/sh", "-c", "while read l; do echo got:$l; done; echo bye"]
            """
        #expect(try await cluster.kubectl(["apply", "-f", "-"], input: reader).status == 0)
        #expect(try await cluster.kubectl("wait", "--for=jsonpath={.status.phase}=Running", "pod/reader", "--timeout=120s").status == 0)
        let kubectl = try await Tools.kubectl()
        let attached = try await Tools.run(kubectl, ["--kubeconfig", cluster.kubeconfig, "attach", "-i", "reader"], input: "one\ntwo\n", timeout: 90)
        #expect(attached.status == 0 && attached.stdout.contains("got:one\ngot:two\nbye\n"), "kubectl attach -i: \(attached)")

        let piped = try await Tools.run(
            kubectl,
            [
                "--kubeconfig", cluster.kubeconfig, "run", "-i", "--rm", "--image=busybox", "--restart=Never", "piped", "--", "sh", "-c",
                "while read l; do echo got:$l; done; echo bye",
            ],
            input: "a\nb\n", timeout: 120)
        #expect(piped.status == 0 && piped.stdout.contains("got:a\ngot:b\nbye\n"), "kubectl run -i --rm: \(piped)")
        #expect(try await cluster.kubectl("get", "pod", "piped").status != 0, "--rm deleted the pod")
        // -it on a real terminal (script's pty); the answer is computed in the container, so the
        // terminal's local echo of the typed line cannot pass for it.
        let terminal = try await Tools.run(
            "/usr/bin/script",
            ["-qec", "\(kubectl) --kubeconfig \(cluster.kubeconfig) run -it --rm --image=busybox --restart=Never shell -- sh", "/dev/null"],
            input: "echo answer-$((6 * 7)) tty-$(tty)\nexit\n", timeout: 120)
        #expect(terminal.status == 0 && terminal.stdout.contains("answer-42 tty-/dev/"), "kubectl run -it --rm: \(terminal)")
        #expect(try await cluster.kubectl("get", "pod", "shell").status != 0, "--rm deleted the pod")
    }
}
