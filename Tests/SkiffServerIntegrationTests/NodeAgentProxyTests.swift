import Foundation
import SkiffAPI
import SkiffNodeAPI
import SkiffTestSupport
import Testing

/// Real kubectl → real `skiff server` process → a node API (`NodeAPIServer` with a fake backend,
/// in this test process) registered as a Node: logs, exec and top go the whole way.
@Suite(.serialized) struct NodeAgentProxyTests {
    static let nodeName = "agent-1"

    func expectSuccess(_ output: Tools.Output, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(output.status == 0, "kubectl failed: \(output.stderr)", sourceLocation: sourceLocation)
    }

    /// A server, a running fake agent, its Node (pinning the agent's certificate) and pod `web`
    /// bound to it.
    func withCluster(_ body: (ServerProcess) async throws -> Void) async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        let joinToken = try String(contentsOfFile: server.directory + "/node-token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let agent = try NodeAPIServer(
            configuration: NodeAPIConfiguration(
                host: "127.0.0.1", port: 0, certificateDirectory: server.directory + "/agent", hostnames: [Self.nodeName], addresses: ["127.0.0.1"],
                credential: NodeCredential.token(joinToken: joinToken, nodeName: Self.nodeName)),
            backend: FakeAgentBackend())
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await agent.run() }
            defer { group.cancelAll() }
            let port = try await agent.listeningPort()
            let node: JSON = [
                "apiVersion": "v1", "kind": "Node",
                "metadata": [
                    "name": .string(Self.nodeName), "annotations": [.init(stringLiteral: AgentCertificate.annotation): .string(agent.certificateSHA256)],
                ],
                "status": [
                    "addresses": [["type": "InternalIP", "address": "127.0.0.1"], ["type": "Hostname", "address": .string(Self.nodeName)]],
                    "daemonEndpoints": ["kubeletEndpoint": ["Port": .int(Int64(port))]],
                    "conditions": [["type": "Ready", "status": "True"]],
                    "capacity": ["cpu": "2", "memory": "4Gi", "pods": "110"], "allocatable": ["cpu": "2", "memory": "4Gi", "pods": "110"],
                ],
            ]
            expectSuccess(try await server.kubectl("create", "-f", "-", input: node.serialized))
            let pod: JSON = [
                "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "web", "namespace": "default"],
                "spec": ["nodeName": .string(Self.nodeName), "containers": [["name": "app", "image": "busybox"]]],
            ]
            expectSuccess(try await server.kubectl("create", "-f", "-", input: pod.serialized))
            try await body(server)
        }
    }

    @Test("kubectl logs and logs -f stream the agent's container log through the server")
    func logs() async throws {
        try await withCluster { server in
            let plain = try await server.kubectl("logs", "web")
            expectSuccess(plain)
            #expect(plain.stdout == "line 1\nline 2\n")
            let tail = try await server.kubectl("logs", "web", "--tail", "1", "-c", "app")
            expectSuccess(tail)
            #expect(tail.stdout == "line 2\n")
            let followed = try await server.kubectl("logs", "-f", "web")
            expectSuccess(followed)
            #expect(followed.stdout == "line 1\nline 2\nline 3 (followed)\n")
            let missing = try await server.kubectl("logs", "web", "-c", "nope")
            #expect(missing.status != 0)
            #expect(missing.stderr.contains("container nope is not valid for pod web"))
        }
    }

    @Test("kubectl exec runs through the agent over websocket: output, stdin and exit codes")
    func exec() async throws {
        try await withCluster { server in
            let echo = try await server.kubectl("exec", "web", "--", "echo", "hello", "world")
            expectSuccess(echo)
            #expect(echo.stdout == "hello world\n")
            let failing = try await server.kubectl("exec", "web", "--", "fail")
            #expect(failing.status == 3)
            #expect(failing.stderr.contains("oops"))
            #expect(failing.stderr.contains("command terminated with exit code 3"))
            let cat = try await server.kubectl("exec", "-i", "web", "--", "cat", input: "typed in\n")
            expectSuccess(cat)
            #expect(cat.stdout == "typed in\n")
        }
    }

    @Test("nodes/NODE/proxy/stats/history/NS/POD reaches the agent's history route; other paths stay refused")
    func historyThroughTheNodeProxy() async throws {
        try await withCluster { server in
            let history = try await server.kubectl("get", "--raw", "/api/v1/nodes/\(Self.nodeName)/proxy/stats/history/default/web")
            expectSuccess(history)
            #expect(history.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == #"{"namespace":"default","name":"web","containers":[]}"#)
            let missing = try await server.kubectl("get", "--raw", "/api/v1/nodes/\(Self.nodeName)/proxy/stats/history/default/gone")
            #expect(missing.status != 0 && missing.stderr.contains("no history for pod default/gone"), "\(missing.stderr)")
            let other = try await server.kubectl("get", "--raw", "/api/v1/nodes/\(Self.nodeName)/proxy/stats/history/default")
            #expect(other.status != 0, "a path outside the allowed list must be refused")
        }
    }

    @Test("kubectl attach -i runs through the agent over websocket; an attach the server refuses is a status kubectl prints")
    func attach() async throws {
        try await withCluster { server in
            let typed = try await server.kubectl("attach", "-i", "web", input: "typed in\n")
            expectSuccess(typed)
            #expect(typed.stdout == "typed in\n")
            // Not upgraded, kubectl would retry over SPDY and report only that connection's end.
            let unscheduled: JSON = [
                "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "nowhere", "namespace": "default"],
                // A selector no node matches keeps the scheduler away.
                "spec": ["nodeSelector": ["no": "such-node"], "containers": [["name": "app", "image": "busybox", "stdin": true]]],
            ]
            expectSuccess(try await server.kubectl("create", "-f", "-", input: unscheduled.serialized))
            let refused = try await server.kubectl("attach", "-i", "nowhere", input: "x\n")
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("pod nowhere does not have a host assigned"), "\(refused)")
        }
    }

    @Test("kubectl's SPDY fallback (websockets turned off) gets the server's reason, not an unexpected EOF")
    func spdyFallback() async throws {
        try await withCluster { server in
            let kubectl = try await Tools.kubectl()
            func spdy(_ variable: String, _ arguments: String...) async throws -> Tools.Output {
                try await Tools.run("/usr/bin/env", ["\(variable)=false", kubectl, "--kubeconfig", server.kubeconfig] + arguments, timeout: 30)
            }
            let exec = try await spdy("KUBECTL_REMOTE_COMMAND_WEBSOCKETS", "exec", "web", "--", "echo", "hi")
            #expect(exec.status != 0)
            #expect(exec.stderr.contains("Upgrade: SPDY/3.1 is not supported"), "\(exec)")
            let attach = try await spdy("KUBECTL_REMOTE_COMMAND_WEBSOCKETS", "attach", "web")
            #expect(attach.stderr.contains("Upgrade: SPDY/3.1 is not supported"), "\(attach)")
            // kubectl port-forwards only to a Running pod; no real agent runs this one.
            expectSuccess(
                try await server.kubectl("patch", "pod", "web", "--subresource=status", "--type=merge", "-p", #"{"status":{"phase":"Running"}}"#))
            let forward = try await spdy("KUBECTL_PORT_FORWARD_WEBSOCKETS", "port-forward", "pod/web", "18199:80")
            #expect(forward.status != 0)
            #expect(forward.stderr.contains("SPDY/3.1 is not supported for port-forward"), "\(forward)")
            // The SPDY request for a container the pod lacks learns that first.
            let missing = try await spdy("KUBECTL_REMOTE_COMMAND_WEBSOCKETS", "exec", "web", "-c", "nope", "--", "echo")
            #expect(missing.stderr.contains("container nope is not valid for pod web"), "\(missing)")
        }
    }

    @Test("kubectl top pod and top node show the agent's stats summary")
    func top() async throws {
        try await withCluster { server in
            let pods = try await server.kubectl("top", "pod")
            expectSuccess(pods)
            #expect(Tools.rows(pods.stdout) == [["NAME", "CPU(cores)", "MEMORY(bytes)"], ["web", "3m", "10Mi"]])
            let containers = try await server.kubectl("top", "pod", "web", "--containers")
            expectSuccess(containers)
            #expect(Tools.rows(containers.stdout).last == ["web", "app", "3m", "10Mi"])
            let nodes = try await server.kubectl("top", "node")
            expectSuccess(nodes)
            let rows = Tools.rows(nodes.stdout)
            #expect(rows.last == [Self.nodeName, "250m", "12%", "512Mi", "12%"])
        }
    }
}

/// The fake agent: pod default/web with container `app`.
struct FakeAgentBackend: NodeAPIBackend {
    func logs(namespace: String, pod: String, container: String, options: LogOptions) async throws -> AsyncThrowingStream<[UInt8], any Error> {
        guard namespace == "default", pod == "web", container == "app" else { throw NodeAPIError.notFound("no container \(container) in \(pod)") }
        let lines = options.tailLines == 1 ? ["line 2\n"] : ["line 1\n", "line 2\n"]
        let follow = options.follow
        return AsyncThrowingStream { continuation in
            let producer = Task {
                for line in lines { continuation.yield(Array(line.utf8)) }
                if follow {
                    try? await Task.sleep(for: .milliseconds(300))
                    continuation.yield(Array("line 3 (followed)\n".utf8))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in producer.cancel() }
        }
    }

    func exec(namespace: String, pod: String, container: String, command: [String], tty: Bool) async throws -> any ExecSession {
        switch command.first {
        case "echo": return ScriptedSession(stdout: command.dropFirst().joined(separator: " ") + "\n", exitCode: 0)
        case "fail": return ScriptedSession(stderr: "oops\n", exitCode: 3)
        case "cat": return ScriptedSession(echoesStdin: true)
        default: throw NodeAPIError.badRequest("unknown command \(command)")
        }
    }

    /// `app`'s process echoes its stdin, until stdin closes.
    func attach(namespace: String, pod: String, container: String, stdin: Bool) async throws -> any ExecSession {
        guard namespace == "default", pod == "web", container == "app" else { throw NodeAPIError.notFound("no container \(container) in \(pod)") }
        return ScriptedSession(echoesStdin: true)
    }

    func portForward(namespace: String, pod: String, port: UInt16) async throws -> ConnectedSocket {
        throw NodeAPIError.badRequest("the fake agent forwards no ports")
    }

    func statsSummary() async throws -> [UInt8] {
        let summary: JSON = [
            "node": [
                "nodeName": .string(NodeAgentProxyTests.nodeName),
                "cpu": ["time": "2026-11-22T10:00:00Z", "usageNanoCores": 250_000_000],
                "memory": ["time": "2026-11-22T10:00:00Z", "workingSetBytes": 536_870_912],
            ],
            "pods": [
                [
                    "podRef": ["name": "web", "namespace": "default", "uid": "u1"],
                    "cpu": ["usageNanoCores": 2_500_000], "memory": ["workingSetBytes": 10_485_760],
                    "containers": [
                        [
                            "name": "app", "cpu": ["time": "2026-11-22T10:00:00Z", "usageNanoCores": 2_500_000],
                            "memory": ["workingSetBytes": 10_485_760],
                        ]
                    ],
                ]
            ],
        ]
        return summary.bytes
    }

    func resourceMetrics() async throws -> [UInt8] { [] }
    func cadvisorMetrics() async throws -> [UInt8] { [] }
    func statsHistory(namespace: String, pod: String) async throws -> [UInt8] {
        guard namespace == "default", pod == "web" else { throw NodeAPIError.notFound("no history for pod \(namespace)/\(pod)") }
        return Array(#"{"namespace":"default","name":"web","containers":[]}"#.utf8)
    }
    func pods() async throws -> [UInt8] { Array(#"{"kind":"PodList","apiVersion":"v1","items":[]}"#.utf8) }
}

/// Fixed output and exit code, or `cat` (stdin echoed to stdout until it closes).
final class ScriptedSession: ExecSession {
    let stdout: AsyncStream<[UInt8]>
    let stderr: AsyncStream<[UInt8]>
    private let stdoutSink: AsyncStream<[UInt8]>.Continuation
    private let stderrSink: AsyncStream<[UInt8]>.Continuation
    private let exit: AsyncStream<Int32>
    private let exitSink: AsyncStream<Int32>.Continuation

    init(stdout text: String = "", stderr errorText: String = "", exitCode: Int32 = 0, echoesStdin: Bool = false) {
        (stdout, stdoutSink) = AsyncStream.makeStream()
        (stderr, stderrSink) = AsyncStream.makeStream()
        (exit, exitSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        if !text.isEmpty { stdoutSink.yield(Array(text.utf8)) }
        if !errorText.isEmpty { stderrSink.yield(Array(errorText.utf8)) }
        if !echoesStdin { finish(exitCode) }
    }

    func finish(_ code: Int32) {
        stdoutSink.finish()
        stderrSink.finish()
        exitSink.yield(code)
        exitSink.finish()
    }

    func writeStdin(_ bytes: [UInt8]) async throws { stdoutSink.yield(bytes) }
    func closeStdin() async { finish(0) }
    func resize(width: UInt16, height: UInt16) async {}
    func wait() async -> Int32 {
        for await code in exit { return code }
        return 137
    }
    func terminate() async { finish(137) }
}
