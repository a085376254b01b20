import Foundation
import SkiffTestSupport
import Testing

/// `kubectl attach` and `kubectl run -i/-it --rm` end to end (root): kubectl 1.32's websocket
/// through the server to the agent, which joins the stdio the container's monitor keeps.
@Suite("kubectl attach and run -it through the server, the agent and the monitor (root)", .serialized)
struct AttachTests {
    static let manifest = """
        apiVersion: v1
        kind: Pod
        metadata: {name: reader}
        spec:
          terminationGracePeriodSeconds: 1
          containers:
          - name: reader
            image: busybox
            stdin: true
            command: ["/bin/sh", "-c", "while read l; do echo got:$l; done"]
          - name: plain
            image: busybox
            command: ["/bin/sh", "-c", "i=0; while true; do echo out-$i; echo err-$i >&2; i=$((i+1)); sleep 0.3; done"]
        """

    /// kubectl attach -i stays attached while the container runs (its stdin stays open without
    /// stdinOnce), so it runs for a few seconds under timeout(1).
    func attach(_ cluster: AgentCluster, input: String, seconds: Int = 6) async throws -> Tools.Output {
        let kubectl = try await Tools.kubectl()
        return try await Tools.run(
            "/usr/bin/timeout", ["\(seconds)", kubectl, "--kubeconfig", cluster.server.kubeconfig, "attach", "-i", "reader", "-c", "reader"],
            input: input)
    }

    @Test("kubectl attach -i talks to a container reading stdin, again after an agent restart; bad requests get clear errors (root)")
    func attachToStdin() async throws {
        try await AgentCluster.with(name: "attach", clusterCIDRBlock: 14) { cluster in
            #expect(try await cluster.kubectl("apply", "-f", "-", input: Self.manifest).status == 0)
            try await cluster.waitForPod("reader") { ($0["status"] as? [String: Any])?["phase"] as? String == "Running" }

            let first = try await attach(cluster, input: "one\ntwo\n")
            #expect(first.stdout.contains("got:one\ngot:two\n"), "kubectl attach: \(first)")
            // The monitor kept the container's stdin; the agent's restart does not matter to it.
            cluster.killAgent()
            try await cluster.startAgent()
            try await cluster.waitForNodeReady()
            var second = Tools.Output(status: 1, stdout: "", stderr: "")
            for _ in 0..<10 {
                second = try await attach(cluster, input: "three\n")
                if second.stdout.contains("got:three") { break }
                try await Task.sleep(for: .seconds(1))  // the restarted agent re-adopts its pods first
            }
            #expect(second.stdout.contains("got:three\n"), "kubectl attach after the agent's restart: \(second)")
            let logs = try await cluster.kubectl("logs", "reader", "-c", "reader")
            #expect(logs.stdout == "got:one\ngot:two\ngot:three\n", "the log has what attach showed")

            // A container created without stdin has none to attach to.
            let plain = try await cluster.kubectl("attach", "-i", "reader", "-c", "plain", input: "x\n", timeout: 30)
            #expect(plain.status != 0)
            #expect(plain.stderr.contains("container plain in pod default/reader was not created with stdin: true"), "\(plain)")
            // Without -i, a container created without stdin or tty: its output from the moment
            // of attach, stdout and stderr apart, as the kubelet streams it.
            let kubectl = try await Tools.kubectl()
            let watching = try await Tools.run(
                "/usr/bin/timeout", ["5", kubectl, "--kubeconfig", cluster.server.kubeconfig, "attach", "reader", "-c", "plain"])
            #expect(watching.status == 124, "kubectl attach stays attached until timeout(1) ends it: \(watching)")
            let outLines = watching.stdout.split(separator: "\n")
            let errLines = watching.stderr.split(separator: "\n").filter { $0.hasPrefix("err-") }
            #expect(outLines.count >= 3 && outLines.allSatisfy { $0.hasPrefix("out-") }, "stdout: \(watching.stdout.debugDescription)")
            #expect(errLines.count >= 3, "stderr: \(watching.stderr.debugDescription)")
            // A container the pod does not have.
            let missing = try await cluster.kubectl("attach", "reader", "-c", "nope", timeout: 30)
            #expect(missing.status != 0)
            #expect(missing.stderr.contains("nope"), "\(missing)")
        }
    }

    @Test("kubectl run -i --rm pipes stdin to the new pod, closes it at EOF (stdinOnce) and deletes the pod; run -it --rm gives a shell (root)")
    func runInteractive() async throws {
        try await AgentCluster.with(name: "runit", clusterCIDRBlock: 15) { cluster in
            let piped = try await cluster.kubectl(
                arguments: [
                    "run", "-i", "--rm", "--image=busybox", "--restart=Never", "piped", "--", "sh", "-c", "while read l; do echo got:$l; done; echo bye",
                ],
                input: "a\nb\n", timeout: 90)
            #expect(piped.status == 0, "kubectl run -i --rm: \(piped)")
            #expect(piped.stdout.contains("got:a\ngot:b\nbye\n"), "\(piped)")
            #expect(try await cluster.kubectl("get", "pod", "piped").status != 0, "--rm deleted the pod")

            // -it: kubectl on a real terminal (script's pty); the shell's answer is computed in
            // the container, so the local echo of the typed line cannot pass for it.
            let kubectl = try await Tools.kubectl()
            let terminal = try await Tools.run(
                "/usr/bin/script",
                [
                    "-qec", "\(kubectl) --kubeconfig \(cluster.server.kubeconfig) run -it --rm --image=busybox --restart=Never shell -- sh",
                    "/dev/null",
                ],
                input: "echo answer-$((6 * 7)) tty-$(tty)\nexit\n", timeout: 90)
            #expect(terminal.status == 0, "kubectl run -it --rm under script: \(terminal)")
            #expect(terminal.stdout.contains("answer-42 tty-/dev/"), "\(terminal.stdout.debugDescription)")
            #expect(try await cluster.kubectl("get", "pod", "shell").status != 0, "--rm deleted the pod")
        }
    }
}
