import Foundation
import SkiffTestSupport
import Testing

/// The in-process scheduler binding pods to registered (fake) Node objects.
@Suite struct SchedulerIntegrationTests {
    static func node(_ name: String, cpu: String) -> String {
        """
        apiVersion: v1
        kind: Node
        metadata: {name: \(name), labels: {kubernetes.io/hostname: \(name)}}
        status:
          conditions: [{type: Ready, status: "True"}]
          allocatable: {cpu: "\(cpu)", memory: 4Gi, pods: "110"}
        """
    }

    func waitFor(_ what: String, timeout: TimeInterval = 10, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .seconds(0.1))
        }
        Issue.record("timed out waiting for \(what)")
    }

    @Test func schedulerBindsPodsToFittingNodesAndRetriesWhenANodeArrives() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        #expect(try await server.kubectl("create", "-f", "-", input: Self.node("small", cpu: "1")).status == 0)
        #expect(try await server.kubectl("run", "fits", "--image=busybox", "--restart=Never").status == 0)
        let big = #"{"spec":{"containers":[{"name":"big","image":"busybox","resources":{"requests":{"cpu":"2"}}}]}}"#
        #expect(try await server.kubectl("run", "big", "--image=busybox", "--restart=Never", "--overrides=\(big)").status == 0)
        try await waitFor("fits to be bound") {
            try await server.kubectl("get", "pod", "fits", "-o", "jsonpath={.spec.nodeName}").stdout == "small"
        }
        try await waitFor("a FailedScheduling event for big") {
            try await server.kubectl("get", "events", "--field-selector", "involvedObject.name=big,reason=FailedScheduling").stdout
                .contains("0/1 nodes are available: 1 Insufficient cpu.")
        }
        #expect(try await server.kubectl("get", "pod", "big", "-o", "jsonpath={.spec.nodeName}").stdout.isEmpty)
        #expect(try await server.kubectl("create", "-f", "-", input: Self.node("large", cpu: "4")).status == 0)
        try await waitFor("big to be bound once a large node exists") {
            try await server.kubectl("get", "pod", "big", "-o", "jsonpath={.spec.nodeName}").stdout == "large"
        }
        let described = try await server.kubectl("describe", "pod", "fits")
        #expect(described.stdout.contains("Successfully assigned default/fits to small"))
        let wide = try await server.kubectl("get", "pods", "-o", "wide")
        #expect(Tools.rows(wide.stdout).contains { $0.first == "big" && $0.contains("large") })
    }
}
